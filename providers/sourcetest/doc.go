// Package sourcetest is the one test suite every velin Source runs.
//
// A source's tests call Run with a Harness: a way to create fresh live data
// and a Source over it (a Fixture), and a factory of snapshots (a Sink to back
// up into and the Tree it becomes). MemRepo is a small in-memory snapshot
// store used by default; the engine runs the same suite over the real
// repository by plugging its own NewSnapshot into the Harness.
//
// Database sources also set Harness.Kill (over a repository on disk, see
// snaptest.Shared): the kill -9 cases re-run the test binary as a helper
// process that backs up or restores the fixture and stalls half-way, kill
// it -9, and check that no snapshot appears, no dump or restore tool it
// started survives it (found in /proc, Linux only), it left no temporary
// file, the live data is as it was, CleanLeftovers removes what it staged
// and the next run succeeds.
//
// The package also has the helpers the file-tree fixtures share: MakeTree
// builds a random tree with every kind of entry, Capture and Check compare a
// directory with what was captured earlier.
package sourcetest
