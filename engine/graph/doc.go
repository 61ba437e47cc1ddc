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
// The nodes and edges live in one dominikbraun/graph directed graph (an
// edge from a node to each node that waits for it), built with
// PreventCycles: the edge that would close a cycle is refused, and the
// cycle it closes becomes a "Dependency cycle" diagnostic naming every
// block with its file:line and pointing at a depends_on that closes it.
// Cycles among backups and restores are found the same way on a graph of
// the blocks. Among equally short cycles the one through the smallest IDs
// is reported, so the message is the same in every run (a small search of
// our own: the library's ShortestPath breaks ties in map order).
//
// Nodes() lists nodes in a stable topological order: the library's
// StableTopologicalSort (smallest ID first among nodes ready together),
// grouped by block in the blocks' own stable topological order, so one
// backup's nodes stay together. DOT() draws the library's transitive
// reduction with our own writer (clusters per block, stable order).
//
// Walk is our own, as the library has no concurrent walk: over the
// library's predecessor and adjacency maps, it runs nodes as soon as their
// dependencies finished, at most `parallelism` at a time. A node whose dependency did not succeed is
// skipped, except finally nodes, which always run once their dependencies
// finished. Cancelling the context cancels the nodes not yet started, again
// except finally nodes: they run with a context detached from the parent's
// cancellation but bounded by FinallyTimeout.
package graph
