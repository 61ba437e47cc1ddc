// Package graph turns a configuration into the directed acyclic graph of
// one run and walks it in parallel.
//
// Every backup becomes a chain of nodes: before steps (one after another),
// one node per source (in parallel), the snapshot (flush), an optional
// verify, the commit (the manifest), an optional retention, after steps and
// finally steps. A restore becomes before steps, one restore node per
// source, after steps and finally steps. `depends_on` makes every root node
// of a block depend on every node of the blocks it names. Node IDs read
// "<owner>/<phase>/<addr>" for steps and "<owner>/<addr>" or
// "<owner>/<kind>" otherwise, e.g. "backup.nightly/source.files.site".
//
// Nodes() lists nodes in a stable topological order: among the nodes whose
// dependencies are listed, the smallest ID comes first.
//
// Walk runs nodes as soon as their dependencies finished, at most
// `parallelism` at a time. A node whose dependency did not succeed is
// skipped, except finally nodes, which always run once their dependencies
// finished. Cancelling the context cancels the nodes not yet started, again
// except finally nodes: they run with a context detached from the parent's
// cancellation but bounded by FinallyTimeout.
package graph
