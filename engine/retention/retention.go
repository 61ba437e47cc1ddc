package retention

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Policy is a retention policy. A zero or negative field means "not set".
type Policy struct {
	KeepLast, KeepHourly, KeepDaily, KeepWeekly, KeepMonthly, KeepYearly int
	KeepWithin                                                           time.Duration
}

// Snapshot is what retention needs to know about a snapshot.
type Snapshot struct {
	ID   string
	Time time.Time
}

// Decision says whether a snapshot is kept and, if so, which rules keep it.
// Reasons are short and readable: "last", "hourly 2026-11-20T19",
// "daily 2026-11-20", "weekly 2026-W47", "monthly 2026-11", "yearly 2026",
// "within 30d", "newest" (the newest snapshot is never forgotten) and
// "no policy" (an empty policy keeps everything).
type Decision struct {
	Snapshot Snapshot
	Keep     bool
	Reasons  []string
}

// Empty reports whether the policy sets no rule at all.
func (p Policy) Empty() bool {
	return p.KeepLast <= 0 && p.KeepHourly <= 0 && p.KeepDaily <= 0 && p.KeepWeekly <= 0 &&
		p.KeepMonthly <= 0 && p.KeepYearly <= 0 && p.KeepWithin <= 0
}

// bucketRule keeps the newest snapshot of each of the `count` most recent
// buckets that hold a snapshot.
type bucketRule struct {
	name   string
	count  int
	bucket func(t time.Time, index int) string
}

func (p Policy) rules() []*bucketRule {
	return []*bucketRule{
		{"last", p.KeepLast, func(_ time.Time, i int) string { return fmt.Sprint(i) }},
		{"hourly", p.KeepHourly, func(t time.Time, _ int) string { return t.Format("2006-01-02T15") }},
		{"daily", p.KeepDaily, func(t time.Time, _ int) string { return t.Format(time.DateOnly) }},
		{"weekly", p.KeepWeekly, isoWeek},
		{"monthly", p.KeepMonthly, func(t time.Time, _ int) string { return t.Format("2006-01") }},
		{"yearly", p.KeepYearly, func(t time.Time, _ int) string { return t.Format("2006") }},
	}
}

func isoWeek(t time.Time, _ int) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// Apply decides, for every snapshot, whether p keeps it at time now. The
// decisions are ordered newest first (ties by ID). snaps is not modified.
func Apply(snaps []Snapshot, p Policy, now time.Time) []Decision {
	sorted := slices.Clone(snaps)
	slices.SortStableFunc(sorted, func(a, b Snapshot) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	out := make([]Decision, len(sorted))
	rules := p.rules()
	last := make([]string, len(rules))
	for i, s := range sorted {
		d := Decision{Snapshot: s}
		if p.Empty() {
			d.Reasons = []string{"no policy"}
		} else {
			d.Reasons = keepReasons(s, i, rules, last, p.KeepWithin, now)
		}
		if i == 0 && len(d.Reasons) == 0 {
			d.Reasons = []string{"newest"}
		}
		d.Keep = len(d.Reasons) > 0
		out[i] = d
	}
	return out
}

// keepReasons applies every rule to the snapshot at position i (newest
// first), consuming one of a bucket rule's count when it keeps s.
func keepReasons(s Snapshot, i int, rules []*bucketRule, last []string, within time.Duration, now time.Time) []string {
	var reasons []string
	t := s.Time.UTC()
	for r, rule := range rules {
		if rule.count <= 0 {
			continue
		}
		b := rule.bucket(t, i)
		if b == last[r] {
			continue
		}
		last[r] = b
		rule.count--
		if rule.name == "last" {
			reasons = append(reasons, "last")
		} else {
			reasons = append(reasons, rule.name+" "+b)
		}
	}
	if within > 0 && !s.Time.Before(now.Add(-within)) {
		reasons = append(reasons, "within "+FormatDuration(within))
	}
	return reasons
}

// FormatDuration shows a keep_within duration the way users write it: "30d",
// "12h", or Go's notation for anything finer.
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d > 0 && d%day == 0:
		return fmt.Sprintf("%dd", d/day)
	case d > 0 && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}
