package schedule

import (
	"strings"
	"testing"
	"time"
)

func TestCronInTimeZone(t *testing.T) {
	s, err := Parse("15 5 * * *", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 10, 3, 0, 0, 0, time.UTC) // 04:00 in Paris
	want := time.Date(2026, 1, 10, 4, 15, 0, 0, time.UTC)
	if got := s.Next(now); !got.Equal(want) {
		t.Errorf("Next = %s, want %s (05:15 Paris)", got, want)
	}
	if got := s.Interval(now); got != 24*time.Hour {
		t.Errorf("Interval = %s, want 24h", got)
	}
}

func TestEvery(t *testing.T) {
	s, err := Parse("every 6h", "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 10, 3, 0, 0, 0, time.UTC)
	if got := s.Next(now); !got.Equal(now.Add(6 * time.Hour)) {
		t.Errorf("Next = %s, want 6h later", got)
	}
	if s.Interval(now) != 6*time.Hour {
		t.Errorf("Interval = %s", s.Interval(now))
	}
}

func TestDescriptor(t *testing.T) {
	s, err := Parse("@hourly", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 10, 3, 20, 0, 0, time.UTC)
	if got := s.Next(now); !got.Equal(time.Date(2026, 1, 10, 4, 0, 0, 0, time.UTC)) {
		t.Errorf("Next = %s", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ expr, tz, want string }{
		{"", "", "empty"},
		{"every soon", "", "invalid interval"},
		{"every 10ms", "", "too short"},
		{"61 5 * * *", "", "invalid cron expression"},
		{"15 5 * *", "", "invalid cron expression"},
		{"15 5 * * *", "Mars/Olympus", "unknown time zone"},
		{"CRON_TZ=UTC 15 5 * * *", "", "schedule_timezone"},
	} {
		_, err := Parse(c.expr, c.tz)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q, %q) = %v, want an error with %q", c.expr, c.tz, err, c.want)
		}
	}
}
