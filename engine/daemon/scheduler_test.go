package daemon

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/schedule"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// harness drives a Scheduler with a fake clock. Runs block until the test
// releases them; every wait on a channel is bounded so a broken scheduler
// fails instead of hanging.
type harness struct {
	t       *testing.T
	clock   *fakeClock
	s       *Scheduler
	idle    chan time.Time // the next wake each time the loop waits
	calls   chan string    // a run started (from its goroutine)
	starts  chan string    // a run started (from the loop, before it goes idle)
	release chan error     // ends one run with this error
	stop    context.CancelFunc
	stopped chan error
	state   string
}

func newHarness(t *testing.T, state string, opts Options) *harness {
	h := &harness{
		t: t, clock: newFakeClock(t0), idle: make(chan time.Time, 100),
		calls: make(chan string, 100), starts: make(chan string, 100), release: make(chan error), state: state,
	}
	if h.state == "" {
		h.state = filepath.Join(t.TempDir(), "daemon.json")
	}
	opts.Clock, opts.StatePath = h.clock, h.state
	opts.idle = func(next time.Time) { h.idle <- next }
	opts.started = func(name string, _ time.Time) { h.starts <- name }
	opts.Run = func(ctx context.Context, name string) Outcome {
		h.calls <- name
		select {
		case err := <-h.release:
			return Outcome{Err: err, Snapshots: 1}
		case <-ctx.Done():
			return Outcome{Err: ctx.Err()}
		}
	}
	h.s = New(opts)
	return h
}

func (h *harness) start(jobs ...Job) {
	ctx, cancel := context.WithCancel(context.Background())
	h.stop, h.stopped = cancel, make(chan error, 1)
	go func() { h.stopped <- h.s.Run(ctx, jobs) }()
}

func (h *harness) shutdown() {
	h.t.Helper()
	h.stop()
	select {
	case err := <-h.stopped:
		if err != nil {
			h.t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		h.t.Fatal("Run did not return")
	}
}

// waitIdle returns the next wake time the loop waits for.
func (h *harness) waitIdle() time.Time {
	h.t.Helper()
	select {
	case w := <-h.idle:
		return w
	case <-time.After(10 * time.Second):
		h.t.Fatal("scheduler never went idle")
	}
	return time.Time{}
}

func (h *harness) wantRun(name string) {
	h.t.Helper()
	select {
	case got := <-h.calls:
		if got != name {
			h.t.Fatalf("ran %s, want %s", got, name)
		}
	case <-time.After(10 * time.Second):
		h.t.Fatalf("%s did not run", name)
	}
	<-h.starts
}

func (h *harness) wantNoRun() {
	h.t.Helper()
	select {
	case got := <-h.starts:
		h.t.Fatalf("%s ran, want no run", got)
	default:
	}
}

func (h *harness) finishRun(err error) {
	h.t.Helper()
	select {
	case h.release <- err:
	case <-time.After(10 * time.Second):
		h.t.Fatal("no run to finish")
	}
}

func job(t *testing.T, name, expr string) Job {
	t.Helper()
	s, err := schedule.Parse(expr, "UTC")
	if err != nil {
		t.Fatal(err)
	}
	return Job{Name: name, Schedule: s, Missed: MissedRunOnce}
}

func TestEveryRunsOnSchedule(t *testing.T) {
	h := newHarness(t, "", Options{})
	h.start(job(t, "db", "every 1h"))
	if w := h.waitIdle(); !w.Equal(t0.Add(time.Hour)) {
		t.Fatalf("first wake %s, want %s", w, t0.Add(time.Hour))
	}
	h.wantNoRun()
	h.clock.Set(t0.Add(time.Hour))
	h.wantRun("db")
	if w := h.waitIdle(); !w.Equal(t0.Add(2 * time.Hour)) {
		t.Fatalf("next wake %s, want %s", w, t0.Add(2*time.Hour))
	}
	h.finishRun(nil)
	h.waitIdle()
	h.shutdown()
	st, err := LoadState(h.state)
	if err != nil {
		t.Fatal(err)
	}
	js := st.Backups["db"]
	if js == nil || !js.Scheduled.Equal(t0.Add(time.Hour)) || js.Running || js.LastSuccess.IsZero() {
		t.Fatalf("state %+v, want the 11:00 run recorded as done", js)
	}
}

func TestCronRunsAtItsTime(t *testing.T) {
	h := newHarness(t, "", Options{})
	h.start(job(t, "nightly", "15 5 * * *"))
	want := time.Date(2026, 3, 2, 5, 15, 0, 0, time.UTC)
	if w := h.waitIdle(); !w.Equal(want) {
		t.Fatalf("wake %s, want %s", w, want)
	}
	h.clock.Set(want.Add(-time.Second))
	h.wantNoRun()
	h.clock.Set(want)
	h.wantRun("nightly")
	h.finishRun(nil)
	h.shutdown()
}

func TestJitterBounds(t *testing.T) {
	for _, c := range []struct {
		name string
		rand int64 // the value Rand returns, as a fraction of n: -1 = n-1
	}{{"smallest", 0}, {"largest", -1}} {
		t.Run(c.name, func(t *testing.T) {
			var asked int64
			h := newHarness(t, "", Options{Rand: func(n int64) int64 {
				asked = n
				if c.rand < 0 {
					return n - 1
				}
				return c.rand
			}})
			j := job(t, "db", "every 1h")
			j.Jitter = 10 * time.Minute
			h.start(j)
			w := h.waitIdle()
			if asked != int64(10*time.Minute) {
				t.Fatalf("jitter drawn in [0, %s), want [0, 10m)", time.Duration(asked))
			}
			lo, hi := t0.Add(time.Hour), t0.Add(time.Hour+10*time.Minute)
			if w.Before(lo) || !w.Before(hi) {
				t.Fatalf("wake %s outside [%s, %s)", w, lo, hi)
			}
			h.shutdown()
		})
	}
}

func TestNoOverlap(t *testing.T) {
	h := newHarness(t, "", Options{Metrics: NewMetrics()})
	h.start(job(t, "db", "every 1h"))
	h.waitIdle()
	h.clock.Set(t0.Add(time.Hour))
	h.wantRun("db")
	h.waitIdle()
	h.clock.Set(t0.Add(2 * time.Hour)) // still running: skipped
	if w := h.waitIdle(); !w.Equal(t0.Add(3 * time.Hour)) {
		t.Fatalf("wake %s after a skipped run, want 13:00", w)
	}
	h.wantNoRun()
	h.finishRun(nil)
	h.waitIdle()
	h.clock.Set(t0.Add(3 * time.Hour))
	h.wantRun("db")
	h.finishRun(nil)
	h.shutdown()
}

func TestMissedRunPolicy(t *testing.T) {
	for _, c := range []struct {
		policy  string
		running bool // the last run was interrupted
		at      time.Duration
		wantRun bool
	}{
		{MissedRunOnce, false, 3 * time.Hour, true},
		{MissedSkip, false, 3 * time.Hour, false},
		{MissedRunOnce, false, 30 * time.Minute, false}, // not missed yet
		{MissedRunOnce, true, 30 * time.Minute, true},   // killed mid-run
	} {
		t.Run(c.policy, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "daemon.json")
			st := &State{Format: StateFormat, Backups: map[string]*JobState{"db": {Scheduled: t0, Running: c.running}}}
			if err := st.Save(state); err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, state, Options{})
			h.clock.Set(t0.Add(c.at))
			j := job(t, "db", "every 1h")
			j.Missed = c.policy
			h.start(j)
			if c.wantRun {
				h.wantRun("db")
				h.finishRun(nil)
			} else {
				if w := h.waitIdle(); !w.Equal(t0.Add(c.at + time.Hour)) {
					t.Fatalf("wake %s, want an hour after start", w)
				}
				h.wantNoRun()
			}
			h.shutdown()
		})
	}
}

func TestReloadKeepsRunsAndSchedules(t *testing.T) {
	h := newHarness(t, "", Options{})
	h.start(job(t, "db", "every 1h"), job(t, "site", "every 2h"))
	h.waitIdle()
	h.clock.Set(t0.Add(time.Hour))
	h.wantRun("db")
	h.waitIdle()
	// site dropped, files added; db, running, keeps its schedule.
	if err := h.s.Reload(context.Background(), []Job{job(t, "db", "every 1h"), job(t, "files", "every 30m")}); err != nil {
		t.Fatal(err)
	}
	if w := h.waitIdle(); !w.Equal(t0.Add(90 * time.Minute)) {
		t.Fatalf("wake %s after reload, want 11:30 (files)", w)
	}
	h.clock.Set(t0.Add(2 * time.Hour)) // db still running: skipped; files runs; site is gone
	h.wantRun("files")
	h.wantNoRun()
	h.finishRun(nil)
	h.finishRun(errors.New("boom"))
	h.shutdown()
	ok, backups := h.s.Health()
	if ok || len(backups) != 2 {
		t.Fatalf("health %v %+v, want db or files failed", ok, backups)
	}
}

func TestShutdownAbandonsAfterGrace(t *testing.T) {
	h := newHarness(t, "", Options{Grace: time.Minute})
	h.start(job(t, "db", "every 1h"))
	h.waitIdle()
	h.clock.Set(t0.Add(time.Hour))
	h.wantRun("db")
	h.waitIdle()
	h.stop()
	select {
	case <-h.stopped:
		t.Fatal("Run returned while a backup ran, before the grace period")
	case <-time.After(50 * time.Millisecond):
	}
	h.clock.Set(t0.Add(time.Hour + time.Minute)) // grace over: the run is cancelled
	select {
	case <-h.stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the grace period")
	}
	st, _ := LoadState(h.state)
	if js := st.Backups["db"]; js == nil || !js.Running {
		t.Fatalf("state %+v: an abandoned run must stay marked running (missed at restart)", js)
	}
}
