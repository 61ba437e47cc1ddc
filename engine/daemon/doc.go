// Package daemon runs the scheduled backups of a plan: `velin daemon`.
//
// A Scheduler keeps, per backup with a schedule (engine/schedule), the
// next time it is due, plus a random jitter of up to the block's jitter.
// It never starts a backup while a run of the same backup is still going
// (that occurrence is skipped and logged); different backups may run at
// once. Last runs are persisted in a small JSON state file (write temp,
// fsync, rename, fsync dir), so that after downtime the missed policy can
// run a missed backup once at start ("run_once") or wait ("skip"); a run
// the daemon was killed in counts as missed.
//
// Runs go through the same engine path as `velin apply -backup NAME`
// (graph.Build with the backup selected, then apply.Run): see Plans. A
// reload (SIGHUP) swaps in a new plan only once it loaded without errors
// and went through Plans.Prepare (the CLI's crash recovery);
// runs under way finish on the plan they started with.
//
// Time comes from an injected Clock, so tests drive schedules with a fake
// clock instead of sleeping. On shutdown the scheduler starts nothing
// new, lets running backups finish for a grace period, then cancels them:
// apply.Run aborts an unfinished snapshot and releases its locks, and the
// repository's write path is crash-safe in any case.
//
// Server serves /healthz (every backup's last run succeeded within 1.5x
// its interval) and /metrics (Prometheus, a registry per daemon) on a
// loopback address unless told otherwise.
package daemon
