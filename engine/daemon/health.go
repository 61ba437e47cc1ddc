package daemon

import (
	"fmt"
	"sort"
	"time"
)

// HealthFactor is how late a backup's last success may be, in intervals.
const HealthFactor = 1.5

// BackupHealth is one backup's line of /healthz.
type BackupHealth struct {
	Name        string    `json:"backup"`
	OK          bool      `json:"ok"`
	Reason      string    `json:"reason"`
	LastSuccess time.Time `json:"last_success,omitzero"`
}

// Health says, per scheduled backup, whether its last run succeeded
// within HealthFactor times its interval. A backup that has not finished
// a run yet is healthy until that long after the daemon started.
func (s *Scheduler) Health() (ok bool, backups []BackupHealth) {
	now := s.opts.Clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ok = true
	for name, e := range s.jobs {
		if e.job.Schedule == nil {
			continue
		}
		h := s.backupHealth(name, e, now)
		ok = ok && h.OK
		backups = append(backups, h)
	}
	sort.Slice(backups, func(i, j int) bool { return backups[i].Name < backups[j].Name })
	return ok, backups
}

// backupHealth judges one backup; s.mu is held.
func (s *Scheduler) backupHealth(name string, e *entry, now time.Time) BackupHealth {
	limit := time.Duration(HealthFactor * float64(e.job.Schedule.Interval(now)))
	h := BackupHealth{Name: name}
	js := s.state.Backups[name]
	if js != nil {
		h.LastSuccess = js.LastSuccess
	}
	switch {
	case js != nil && js.LastError != "":
		h.Reason = "last run failed: " + js.LastError
	case js != nil && !js.LastSuccess.IsZero():
		age := now.Sub(js.LastSuccess)
		h.OK = age <= limit
		h.Reason = fmt.Sprintf("last success %s ago (limit %s)", age.Round(time.Second), limit)
	case now.Sub(s.since) <= limit:
		h.OK, h.Reason = true, "no run finished yet"
	default:
		h.Reason = fmt.Sprintf("no successful run in %s (limit %s)", now.Sub(s.since).Round(time.Second), limit)
	}
	return h
}
