package forget

import (
	"fmt"
	"strings"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/retention"
)

// Policy converts a backup block's retention block; nil (no block) is the
// empty policy, which keeps everything.
func Policy(r *config.Retention) retention.Policy {
	if r == nil {
		return retention.Policy{}
	}
	return retention.Policy{
		KeepLast: r.KeepLast, KeepHourly: r.KeepHourly, KeepDaily: r.KeepDaily,
		KeepWeekly: r.KeepWeekly, KeepMonthly: r.KeepMonthly, KeepYearly: r.KeepYearly,
		KeepWithin: r.KeepWithin,
	}
}

// PolicyString shows a retention block as "keep_last=7, keep_daily=14".
func PolicyString(r *config.Retention) string {
	if r == nil {
		return "keep everything"
	}
	var parts []string
	add := func(name string, v int) {
		if v > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", name, v))
		}
	}
	add("keep_last", r.KeepLast)
	add("keep_hourly", r.KeepHourly)
	add("keep_daily", r.KeepDaily)
	add("keep_weekly", r.KeepWeekly)
	add("keep_monthly", r.KeepMonthly)
	add("keep_yearly", r.KeepYearly)
	if r.KeepWithin > 0 {
		parts = append(parts, "keep_within="+r.KeepWithin.String())
	}
	if len(parts) == 0 {
		return "keep everything"
	}
	return strings.Join(parts, ", ")
}
