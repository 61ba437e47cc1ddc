package retention

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// history is 4 snapshots a day (01:00, 07:00, 13:00, 19:00 UTC) for the 60
// days from 2026-09-22 to 2026-11-20, oldest first. IDs read "2026-11-20T19".
func history() []Snapshot {
	var out []Snapshot
	start := time.Date(2026, 9, 22, 0, 0, 0, 0, time.UTC)
	for d := range 60 {
		for _, h := range []int{1, 7, 13, 19} {
			t := start.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour)
			out = append(out, Snapshot{ID: t.Format("2006-01-02T15"), Time: t})
		}
	}
	return out
}

// monthly is one snapshot on the 15th of each month, 2023-01 to 2026-06.
func monthly() []Snapshot {
	var out []Snapshot
	for m := range 42 {
		t := time.Date(2023, time.January+time.Month(m), 15, 12, 0, 0, 0, time.UTC)
		out = append(out, Snapshot{ID: t.Format("2006-01"), Time: t})
	}
	return out
}

// kept renders the kept decisions as "ID: reason, reason", newest first.
func kept(ds []Decision) []string {
	var out []string
	for _, d := range ds {
		if d.Keep {
			out = append(out, d.Snapshot.ID+": "+strings.Join(d.Reasons, ", "))
		}
	}
	return out
}

func TestApply(t *testing.T) {
	now := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		snaps []Snapshot
		p     Policy
		now   time.Time
		want  []string
	}{
		{"keep_last", history(), Policy{KeepLast: 5}, now, []string{
			"2026-11-20T19: last", "2026-11-20T13: last", "2026-11-20T07: last",
			"2026-11-20T01: last", "2026-11-19T19: last",
		}},
		{"keep_hourly", history(), Policy{KeepHourly: 6}, now, []string{
			"2026-11-20T19: hourly 2026-11-20T19", "2026-11-20T13: hourly 2026-11-20T13",
			"2026-11-20T07: hourly 2026-11-20T07", "2026-11-20T01: hourly 2026-11-20T01",
			"2026-11-19T19: hourly 2026-11-19T19", "2026-11-19T13: hourly 2026-11-19T13",
		}},
		{"keep_daily", history(), Policy{KeepDaily: 3}, now, []string{
			"2026-11-20T19: daily 2026-11-20", "2026-11-19T19: daily 2026-11-19",
			"2026-11-18T19: daily 2026-11-18",
		}},
		{"keep_weekly uses ISO weeks", history(), Policy{KeepWeekly: 3}, now, []string{
			"2026-11-20T19: weekly 2026-W47", "2026-11-15T19: weekly 2026-W46",
			"2026-11-08T19: weekly 2026-W45",
		}},
		{"keep_monthly", history(), Policy{KeepMonthly: 3}, now, []string{
			"2026-11-20T19: monthly 2026-11", "2026-10-31T19: monthly 2026-10",
			"2026-09-30T19: monthly 2026-09",
		}},
		{"keep_monthly beyond history", history(), Policy{KeepMonthly: 12}, now, []string{
			"2026-11-20T19: monthly 2026-11", "2026-10-31T19: monthly 2026-10",
			"2026-09-30T19: monthly 2026-09",
		}},
		{"keep_yearly within one year", history(), Policy{KeepYearly: 2}, now, []string{
			"2026-11-20T19: yearly 2026",
		}},
		{"keep_within", history(), Policy{KeepWithin: 48 * time.Hour}, now, []string{
			"2026-11-20T19: within 2d", "2026-11-20T13: within 2d", "2026-11-20T07: within 2d",
			"2026-11-20T01: within 2d", "2026-11-19T19: within 2d", "2026-11-19T13: within 2d",
			"2026-11-19T07: within 2d", "2026-11-19T01: within 2d",
		}},
		{"keep_within includes the boundary", history(), Policy{KeepWithin: 25 * time.Hour}, now, []string{
			"2026-11-20T19: within 25h", "2026-11-20T13: within 25h", "2026-11-20T07: within 25h",
			"2026-11-20T01: within 25h", "2026-11-19T19: within 25h",
		}},
		{"rules combine", history(), Policy{KeepLast: 2, KeepDaily: 3, KeepWeekly: 2}, now, []string{
			"2026-11-20T19: last, daily 2026-11-20, weekly 2026-W47",
			"2026-11-20T13: last",
			"2026-11-19T19: daily 2026-11-19",
			"2026-11-18T19: daily 2026-11-18",
			"2026-11-15T19: weekly 2026-W46",
		}},
		{"newest is never forgotten", history(), Policy{KeepWithin: time.Hour},
			time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), []string{"2026-11-20T19: newest"}},
		{"keep_yearly", monthly(), Policy{KeepYearly: 3}, now, []string{
			"2026-06: yearly 2026", "2025-12: yearly 2025", "2024-12: yearly 2024",
		}},
		{"monthly and yearly", monthly(), Policy{KeepMonthly: 2, KeepYearly: 2}, now, []string{
			"2026-06: monthly 2026-06, yearly 2026", "2026-05: monthly 2026-05",
			"2025-12: yearly 2025",
		}},
		{"no snapshots", nil, Policy{KeepLast: 3}, now, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := Apply(tt.snaps, tt.p, tt.now)
			if len(ds) != len(tt.snaps) {
				t.Fatalf("got %d decisions for %d snapshots", len(ds), len(tt.snaps))
			}
			if got := kept(ds); !slices.Equal(got, tt.want) {
				t.Errorf("kept:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
			for _, d := range ds {
				if !d.Keep && len(d.Reasons) != 0 {
					t.Errorf("%s forgotten with reasons %v", d.Snapshot.ID, d.Reasons)
				}
			}
		})
	}
}

func TestApplyEmptyPolicyKeepsEverything(t *testing.T) {
	snaps := history()
	ds := Apply(snaps, Policy{}, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if len(ds) != 240 {
		t.Fatalf("got %d decisions, want 240", len(ds))
	}
	for _, d := range ds {
		if !d.Keep || !slices.Equal(d.Reasons, []string{"no policy"}) {
			t.Fatalf("%s: keep=%v reasons=%v", d.Snapshot.ID, d.Keep, d.Reasons)
		}
	}
}

func TestApplyOrdersNewestFirstWhateverTheInput(t *testing.T) {
	snaps := history()
	shuffled := slices.Clone(snaps)
	slices.Reverse(shuffled)
	shuffled = append(shuffled[100:], shuffled[:100]...)
	p := Policy{KeepDaily: 5, KeepWeekly: 4}
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	a, b := Apply(snaps, p, now), Apply(shuffled, p, now)
	if a[0].Snapshot.ID != "2026-11-20T19" || a[len(a)-1].Snapshot.ID != "2026-09-22T01" {
		t.Fatalf("not newest first: first %s, last %s", a[0].Snapshot.ID, a[len(a)-1].Snapshot.ID)
	}
	for i := range a {
		if a[i].Snapshot != b[i].Snapshot || a[i].Keep != b[i].Keep {
			t.Fatalf("decision %d differs: %+v vs %+v", i, a[i], b[i])
		}
	}
	if snaps[0].ID != "2026-09-22T01" {
		t.Fatalf("Apply modified its input")
	}
}

func TestApplyBucketsInUTC(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	snaps := []Snapshot{
		{ID: "late-evening-est", Time: time.Date(2026, 11, 20, 23, 30, 0, 0, est)}, // 2026-11-21 04:30 UTC
		{ID: "early-utc", Time: time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)},
		{ID: "evening-utc", Time: time.Date(2026, 11, 20, 22, 0, 0, 0, time.UTC)},
		{ID: "morning-utc", Time: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)},
	}
	got := kept(Apply(snaps, Policy{KeepDaily: 2}, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)))
	want := []string{"late-evening-est: daily 2026-11-21", "evening-utc: daily 2026-11-20"}
	if !slices.Equal(got, want) {
		t.Errorf("kept %v, want %v", got, want)
	}
}

func TestPolicyEmpty(t *testing.T) {
	tests := []struct {
		p    Policy
		want bool
	}{
		{Policy{}, true},
		{Policy{KeepLast: -1, KeepWithin: -time.Hour}, true},
		{Policy{KeepLast: 1}, false},
		{Policy{KeepYearly: 1}, false},
		{Policy{KeepWithin: time.Minute}, false},
	}
	for _, tt := range tests {
		if got := tt.p.Empty(); got != tt.want {
			t.Errorf("%+v.Empty() = %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * 24 * time.Hour: "30d",
		36 * time.Hour:      "36h",
		90 * time.Minute:    "1h30m0s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
