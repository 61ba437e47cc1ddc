package daemon

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/velinhq/velin/engine/schedule"
)

// Missed-run policies (a backup block's missed argument).
const (
	MissedRunOnce = "run_once"
	MissedSkip    = "skip"
)

// DefaultGrace is how long a shutdown waits for running backups.
const DefaultGrace = 5 * time.Minute

// Job is one scheduled backup.
type Job struct {
	Name     string
	Schedule *schedule.Schedule
	Missed   string        // MissedRunOnce (default) or MissedSkip
	Jitter   time.Duration // most a run is delayed at random
}

// RunFunc runs one backup; it must return once ctx is cancelled.
type RunFunc func(ctx context.Context, name string) Outcome

// Outcome is what one run did.
type Outcome struct {
	Err                    error
	Snapshots              int
	BytesRead, BytesStored int64
	VerifyOK, VerifyFailed int
	// ErrorsBy counts failed actions by the block that failed
	// ("source.files.site", "step.exec.stop").
	ErrorsBy map[string]int
}

// Options configure a Scheduler.
type Options struct {
	Clock     Clock                            // default SystemClock
	Run       RunFunc                          // required
	StatePath string                           // the state file; required
	Log       *slog.Logger                     // default: discard
	Grace     time.Duration                    // default DefaultGrace
	Rand      func(n int64) int64              // jitter in [0, n); default math/rand/v2
	Metrics   *Metrics                         // optional
	idle      func(next time.Time)             // tests: the loop is about to wait
	started   func(name string, due time.Time) // tests: a run started
}

// Scheduler runs jobs on their schedules. Run it once.
type Scheduler struct {
	opts   Options
	reload chan []Job
	done   chan finished

	mu sync.Mutex // guards state, jobs and since, read by Health
	// abandoned is set once shutdown cancelled the running backups: they
	// stay marked running in the state file, so they count as missed.
	abandoned bool
	state     *State
	jobs      map[string]*entry
	since     time.Time // when Run started
}

// entry is a job with its next run.
type entry struct {
	job     Job
	due     time.Time // the schedule's time, without jitter
	at      time.Time // due plus jitter: when it starts
	running bool
}

type finished struct {
	name       string
	start, end time.Time
	out        Outcome
}

// New makes a Scheduler.
func New(opts Options) *Scheduler {
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.Rand == nil {
		opts.Rand = rand.Int64N
	}
	return &Scheduler{opts: opts, reload: make(chan []Job), done: make(chan finished), jobs: map[string]*entry{}}
}

// Reload replaces the jobs; runs under way go on. It blocks until Run
// takes the new jobs, or ctx ends.
func (s *Scheduler) Reload(ctx context.Context, jobs []Job) error {
	select {
	case s.reload <- jobs:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run schedules jobs until ctx is cancelled, then waits up to the grace
// period for running backups, cancels those still going and waits for
// them to return. The error is only for the state file.
func (s *Scheduler) Run(ctx context.Context, jobs []Job) error {
	st, err := LoadState(s.opts.StatePath)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.state, s.since = st, s.opts.Clock.Now()
	s.mu.Unlock()
	s.setJobs(jobs, true)
	runCtx, cancelRuns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRuns()
	for {
		wake := s.wake()
		if s.opts.idle != nil {
			s.opts.idle(wake)
		}
		var timer <-chan time.Time
		if !wake.IsZero() {
			timer = s.opts.Clock.At(wake)
		}
		select {
		case <-ctx.Done():
			return s.shutdown(cancelRuns)
		case <-timer:
			s.startDue(runCtx)
		case f := <-s.done:
			s.finish(f)
		case jobs := <-s.reload:
			s.setJobs(jobs, false)
		}
	}
}

// setJobs installs jobs. A job kept from before keeps its next run (unless
// its schedule changed); a new one is scheduled from now, or at start
// from the state file and the missed policy.
func (s *Scheduler) setJobs(jobs []Job, atStart bool) {
	now := s.opts.Clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.jobs
	s.jobs = map[string]*entry{}
	for _, j := range jobs {
		e := &entry{job: j}
		if prev, ok := old[j.Name]; ok && prev.job.Schedule.String() == j.Schedule.String() {
			e.due, e.at, e.running = prev.due, prev.at, prev.running
		} else {
			e.due = s.firstDue(j, now, atStart)
			e.at = e.due.Add(s.jitter(j))
			if prev, ok := old[j.Name]; ok {
				e.running = prev.running
			}
		}
		s.jobs[j.Name] = e
		s.opts.Log.Info("scheduled", "backup", j.Name, "schedule", j.Schedule.String(), "next", e.at)
	}
	for name, e := range old { // removed, but still running: finish it
		if _, ok := s.jobs[name]; !ok && e.running {
			s.jobs[name] = &entry{job: e.job, running: true, due: time.Time{}}
			s.jobs[name].job.Schedule = nil
		}
	}
}

// firstDue applies the missed policy: a run that fell due while the daemon
// was down (or that it was killed in) runs now with run_once.
func (s *Scheduler) firstDue(j Job, now time.Time, atStart bool) time.Time {
	js := s.state.Backups[j.Name]
	if !atStart || js == nil || js.Scheduled.IsZero() {
		return j.Schedule.Next(now)
	}
	missed := js.Running || !j.Schedule.Next(js.Scheduled).After(now)
	if missed && j.Missed != MissedSkip {
		s.opts.Log.Info("missed run: running once now", "backup", j.Name, "last_scheduled", js.Scheduled)
		return now
	}
	if missed {
		s.opts.Log.Info("missed run skipped", "backup", j.Name, "last_scheduled", js.Scheduled)
	}
	return j.Schedule.Next(now)
}

func (s *Scheduler) jitter(j Job) time.Duration {
	if j.Jitter <= 0 {
		return 0
	}
	return time.Duration(s.opts.Rand(int64(j.Jitter)))
}

// wake is the earliest start of a scheduled job (zero: none).
func (s *Scheduler) wake() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var w time.Time
	for _, e := range s.jobs {
		if e.job.Schedule != nil && (w.IsZero() || e.at.Before(w)) {
			w = e.at
		}
	}
	return w
}

// startDue starts every job whose time came, in name order; one still
// running skips this occurrence.
func (s *Scheduler) startDue(ctx context.Context) {
	now := s.opts.Clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.jobs))
	for name := range s.jobs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		e := s.jobs[name]
		if e.job.Schedule == nil || e.at.After(now) {
			continue
		}
		due := e.due
		e.due = e.job.Schedule.Next(e.due)
		if !e.due.After(now) {
			e.due = e.job.Schedule.Next(now)
		}
		e.at = e.due.Add(s.jitter(e.job))
		if e.running {
			s.opts.Log.Warn("previous run still going: this run is skipped", "backup", name, "due", due, "next", e.at)
			s.opts.Metrics.skipped(name)
			continue
		}
		s.start(ctx, e, due, now)
	}
}

// start runs e in a goroutine; s.mu is held.
func (s *Scheduler) start(ctx context.Context, e *entry, due, now time.Time) {
	e.running = true
	js := s.state.job(e.job.Name)
	js.Scheduled, js.Running, js.LastStart = due, true, now
	s.save()
	name := e.job.Name
	s.opts.Log.Info("backup started", "backup", name, "due", due)
	if s.opts.started != nil {
		s.opts.started(name, due)
	}
	go func() {
		out := s.opts.Run(ctx, name)
		s.done <- finished{name: name, start: now, end: s.opts.Clock.Now(), out: out}
	}()
}

// finish records a run's end.
func (s *Scheduler) finish(f finished) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.jobs[f.name]; ok {
		e.running = false
		if e.job.Schedule == nil {
			delete(s.jobs, f.name)
		}
	}
	js := s.state.job(f.name)
	js.Running, js.LastEnd = s.abandoned && f.out.Err != nil, f.end
	js.LastError = ""
	if f.out.Err != nil {
		js.LastError = f.out.Err.Error()
		s.opts.Log.Error("backup failed", "backup", f.name, "duration", f.end.Sub(f.start), "error", js.LastError)
	} else {
		js.LastSuccess = f.end
		s.opts.Log.Info("backup done", "backup", f.name, "duration", f.end.Sub(f.start),
			"snapshots", f.out.Snapshots, "bytes_read", f.out.BytesRead, "bytes_stored", f.out.BytesStored)
	}
	s.save()
	s.opts.Metrics.record(f)
}

// save writes the state file; s.mu is held. A failure is logged: the
// schedule goes on, at worst a missed run is misjudged after a restart.
func (s *Scheduler) save() {
	if err := s.state.Save(s.opts.StatePath); err != nil {
		s.opts.Log.Error("cannot save the daemon state", "error", err)
	}
}

// shutdown waits for running backups for the grace period, then cancels
// them and waits for them to return.
func (s *Scheduler) shutdown(cancelRuns context.CancelFunc) error {
	deadline := s.opts.Clock.Now().Add(s.opts.Grace)
	grace := s.opts.Clock.At(deadline)
	if n := s.running(); n > 0 {
		s.opts.Log.Info("stopping: waiting for running backups", "running", n, "grace", s.opts.Grace)
	}
	for s.running() > 0 {
		select {
		case f := <-s.done:
			s.finish(f)
		case <-grace:
			s.opts.Log.Warn("stopping: grace period over, abandoning running backups", "running", s.running())
			s.mu.Lock()
			s.abandoned = true
			s.mu.Unlock()
			cancelRuns()
			grace = nil
		}
	}
	s.opts.Log.Info("stopped")
	return nil
}

func (s *Scheduler) running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.jobs {
		if e.running {
			n++
		}
	}
	return n
}
