// Package repo is velin's repository: a content-addressed, deduplicated,
// compressed and encrypted store of snapshots on a storage.Storage.
//
// A backup opens a SnapshotWriter, hands each source's entries to a
// SourceWriter (a provider.Sink), flushes (every pack and index durable),
// optionally verifies the pending snapshot, and commits: only then is the
// snapshot's manifest written and visible. Restores read a provider.Tree.
//
// The on-disk format, the crash-safety argument and the threat model are in
// docs/design.md ("Repository format"). Sub-packages: crypto (keys, sealing),
// pack (ids, pack files), index (index files, in-memory index), repotest
// (in-memory and fault-injecting storages for tests).
package repo
