// Package retention decides which snapshots of one backup a retention
// policy keeps and which it forgets.
//
// The rules follow restic's forget: keep_last keeps the N newest snapshots;
// keep_hourly, keep_daily, keep_weekly (ISO weeks), keep_monthly and
// keep_yearly each keep the newest snapshot of the N most recent periods
// that have a snapshot; keep_within keeps every snapshot taken at or after
// now minus the duration. A snapshot is kept when any rule keeps it. When
// the policy is not empty the newest snapshot is always kept; an empty
// policy keeps everything. Periods are computed in UTC.
//
// Everything here is a pure function of its arguments: the current time is
// passed in, never read from the clock.
package retention
