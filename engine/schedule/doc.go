// Package schedule parses the schedule argument of a backup block and
// computes when it is next due.
//
// Two forms are accepted: a standard five-field cron expression
// ("15 5 * * *", or a descriptor such as "@daily"), read in the block's
// schedule_timezone (default: the machine's local zone), and a fixed
// interval, "every 6h" (a Go duration of at least one second). Cron
// expressions are parsed with github.com/robfig/cron/v3; a time zone given
// inside the expression (CRON_TZ=, TZ=) is refused in favour of
// schedule_timezone, so there is one way to say it.
package schedule
