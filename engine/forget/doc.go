// Package forget is the one place that removes snapshots and reclaims
// their data: it applies a backup block's retention (which snapshot each
// rule keeps), forgets snapshots and prunes, for apply's retention step
// and for `velin backup delete` and `velin backup prune`. A dry run
// changes nothing and reports what the real run would reclaim, the data
// of the snapshots it would forget included.
//
// It also converts a configuration's retention block into an
// engine/retention policy (Policy, PolicyString), and tells a plan which
// snapshots the next backup's retention will forget (Forgettable).
package forget
