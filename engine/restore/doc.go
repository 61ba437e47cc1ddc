// Package restore is the one code path that writes a snapshot back: the
// `velin backup restore` verb and the `restore` block of a plan both build a
// Request, Prepare it into a Plan (what the snapshot holds next to what
// exists now, nothing changed), show or confirm it, and Execute it.
//
// A Request names the repository, the snapshot and the sources explicitly,
// so a caller without a plan file can build one from the manifest alone.
// Sources are restored one after the other; a source that fails does not
// stop the others, and damage that spared part of the data is reported as
// a *provider.Partial (exit code 3).
package restore
