package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// MinEvery is the shortest interval "every" accepts.
const MinEvery = time.Second

// Schedule says when a backup is due. It is immutable and safe for
// concurrent use.
type Schedule struct {
	expr  string
	every time.Duration // > 0 for "every D"
	cron  cron.Schedule // otherwise
	loc   *time.Location
}

// parser reads standard five-field expressions and @descriptors.
func parser() cron.Parser {
	return cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// Parse reads expr ("every 6h" or a cron expression) with its time zone
// (an IANA name such as "Europe/Paris"; "" = the local zone, ignored for
// "every"). The error says what is wrong, for a diagnostic.
func Parse(expr, timezone string) (*Schedule, error) {
	s := &Schedule{expr: strings.TrimSpace(expr), loc: time.Local}
	if s.expr == "" {
		return nil, errors.New("the schedule is empty: use a cron expression such as \"15 5 * * *\" or an interval such as \"every 6h\"")
	}
	if rest, ok := strings.CutPrefix(s.expr, "every "); ok {
		return s.parseEvery(strings.TrimSpace(rest))
	}
	if strings.HasPrefix(s.expr, "CRON_TZ=") || strings.HasPrefix(s.expr, "TZ=") {
		return nil, errors.New("give the time zone with schedule_timezone = \"Area/City\", not inside the expression")
	}
	if timezone != "" {
		loc, err := time.LoadLocation(timezone)
		if err != nil {
			return nil, fmt.Errorf("unknown time zone %q: use an IANA name such as \"Europe/Paris\" or \"UTC\"", timezone)
		}
		s.loc = loc
	}
	c, err := parser().Parse(s.expr)
	if err != nil {
		return nil, fmt.Errorf("invalid cron expression %q: %v (five fields: minute hour day-of-month month day-of-week)", s.expr, err)
	}
	s.cron = c
	return s, nil
}

func (s *Schedule) parseEvery(d string) (*Schedule, error) {
	dur, err := time.ParseDuration(d)
	if err != nil {
		return nil, fmt.Errorf("invalid interval %q: write a duration such as 30m, 6h or 1h30m", d)
	}
	if dur < MinEvery {
		return nil, fmt.Errorf("interval %s is too short: at least %s", dur, MinEvery)
	}
	s.every = dur
	return s, nil
}

// String is the expression as written.
func (s *Schedule) String() string { return s.expr }

// Next is the first time strictly after t at which the backup is due.
func (s *Schedule) Next(t time.Time) time.Time {
	if s.every > 0 {
		return t.Add(s.every)
	}
	return s.cron.Next(t.In(s.loc)).In(t.Location())
}

// Interval is the time between the two occurrences that follow t: the
// fixed interval, or for cron the gap at t (a daily schedule's is 24h,
// save around a daylight saving change).
func (s *Schedule) Interval(t time.Time) time.Duration {
	if s.every > 0 {
		return s.every
	}
	first := s.Next(t)
	return s.Next(first).Sub(first)
}
