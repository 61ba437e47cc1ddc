package plan

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/retention"
)

// Policy converts a retention block.
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

// newSnapshotID stands for the snapshot a plan is about to create.
const newSnapshotID = "(new)"

// Forgettable lists the snapshots of backup b that its retention policy
// forgets, oldest first. withNew counts the snapshot about to be made as the
// newest one (for plans made before the backup runs). r may be nil.
func Forgettable(ctx context.Context, r *repo.Repository, b *config.Backup, now time.Time, withNew bool) ([]string, error) {
	p := Policy(b.Retention)
	if r == nil || p.Empty() {
		return nil, nil
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	var list []retention.Snapshot
	for _, m := range snaps {
		if m.Backup == b.Name && r.Mine(m) {
			list = append(list, retention.Snapshot{ID: m.ID, Time: m.Time})
		}
	}
	if withNew {
		list = append(list, retention.Snapshot{ID: newSnapshotID, Time: now})
	}
	var out []string
	decisions := retention.Apply(list, p, now)
	for i := len(decisions) - 1; i >= 0; i-- {
		d := decisions[i]
		if !d.Keep && d.Snapshot.ID != newSnapshotID {
			out = append(out, d.Snapshot.ID)
		}
	}
	return out, nil
}

// HumanBytes formats a size like "1.4 GB" (decimal units, as du -h --si).
func HumanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
