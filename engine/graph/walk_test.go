package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/providers/provider"
)

// statuses maps node ID to status.
func statuses(rs []Result) map[string]Status {
	out := map[string]Status{}
	for _, r := range rs {
		out[r.Node.ID] = r.Status
	}
	return out
}

func checkStatuses(t *testing.T, rs []Result, want map[string]Status) {
	t.Helper()
	got := statuses(rs)
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %s, want %s", id, got[id], w)
		}
	}
}

// succeed runs every node successfully.
func succeed(context.Context, *Node) error { return nil }

func TestWalkRespectsDependencies(t *testing.T) {
	g := mustBuild(t, standard().cfg, Selection{})
	var mu sync.Mutex
	finished := map[string]bool{}
	var violations []string
	rs := g.Walk(context.Background(), 4, func(_ context.Context, n *Node) error {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range g.Deps(n.ID) {
			if !finished[d] {
				violations = append(violations, n.ID+" ran before "+d)
			}
		}
		finished[n.ID] = true
		return nil
	})
	if len(violations) > 0 {
		t.Fatalf("order violated:\n%s", strings.Join(violations, "\n"))
	}
	if got, want := len(finished), len(g.Nodes()); got != want {
		t.Fatalf("%d nodes ran, want %d", got, want)
	}
	for i, r := range rs {
		if r.Node != g.Nodes()[i] {
			t.Fatalf("result %d is %s, want Nodes() order", i, r.Node.ID)
		}
		if r.Status != StatusOK || r.Err != nil || r.Start.IsZero() || r.End.Before(r.Start) {
			t.Errorf("%s: %s %v start=%v end=%v", r.Node.ID, r.Status, r.Err, r.Start, r.End)
		}
	}
}

// wideBackup is one backup of n sources and nothing else.
func wideBackup(n int) *config.Config {
	f := newFixture()
	var srcs []string
	for i := range n {
		f.source("files", fmt.Sprintf("s%02d", i))
		srcs = append(srcs, fmt.Sprintf("source.files.s%02d", i))
	}
	f.backup(&config.Backup{Name: "wide", Sources: f.refs(srcs...)})
	return f.cfg
}

func TestWalkParallelismBound(t *testing.T) {
	for _, tt := range []struct{ parallelism, limit int }{{3, 3}, {1, 1}, {0, 1}} {
		t.Run(fmt.Sprint(tt.parallelism), func(t *testing.T) {
			const sources = 8
			g := mustBuild(t, wideBackup(sources), Selection{})
			var current, peak, over atomic.Int32
			started := make(chan string)
			release := make(chan struct{})
			done := make(chan []Result)
			go func() {
				done <- g.Walk(context.Background(), tt.parallelism, func(_ context.Context, n *Node) error {
					if n.Kind != KindSource {
						return nil
					}
					c := current.Add(1)
					if c > int32(tt.limit) {
						over.Add(1)
					}
					for p := peak.Load(); c > p && !peak.CompareAndSwap(p, c); p = peak.Load() {
					}
					started <- n.ID
					<-release
					current.Add(-1)
					return nil
				})
			}()
			for range tt.limit {
				<-started
			}
			if got := current.Load(); got != int32(tt.limit) {
				t.Errorf("%d running after %d starts", got, tt.limit)
			}
			for range sources - tt.limit {
				release <- struct{}{}
				<-started
			}
			for range tt.limit {
				release <- struct{}{}
			}
			rs := <-done
			if over.Load() > 0 || peak.Load() != int32(tt.limit) {
				t.Errorf("peak concurrency %d (over the limit %d times), want %d", peak.Load(), over.Load(), tt.limit)
			}
			for _, r := range rs {
				if r.Status != StatusOK {
					t.Errorf("%s: %s", r.Node.ID, r.Status)
				}
			}
		})
	}
}

func TestWalkFailureSkipsDependentsOnly(t *testing.T) {
	g := mustBuild(t, standard().cfg, Selection{})
	boom := errors.New("boom")
	rs := g.Walk(context.Background(), 2, func(_ context.Context, n *Node) error {
		if n.ID == "backup.nightly/source.sqlite.app" {
			return boom
		}
		return nil
	})
	checkStatuses(t, rs, map[string]Status{
		"backup.nightly/before/step.exec.maintenance_on":   StatusOK,
		"backup.nightly/source.files.site":                 StatusOK,
		"backup.nightly/source.sqlite.app":                 StatusFailed,
		"backup.nightly/snapshot":                          StatusSkipped,
		"backup.nightly/verify":                            StatusSkipped,
		"backup.nightly/commit":                            StatusSkipped,
		"backup.nightly/retention":                         StatusSkipped,
		"backup.nightly/after/step.exec.notify":            StatusSkipped,
		"backup.nightly/finally/step.exec.maintenance_off": StatusOK,
		"backup.nightly/finally/step.http.ping":            StatusOK,
		"backup.offsite/source.files.site":                 StatusSkipped, // depends_on nightly
		"backup.offsite/commit":                            StatusSkipped,
		"backup.logs/source.files.logs":                    StatusOK, // independent
		"backup.logs/commit":                               StatusOK,
	})
	for _, r := range rs {
		switch r.Status {
		case StatusFailed:
			if !errors.Is(r.Err, boom) {
				t.Errorf("%s: err %v", r.Node.ID, r.Err)
			}
		case StatusSkipped:
			if !errors.Is(r.Err, ErrDependency) || !r.Start.IsZero() || !r.End.IsZero() {
				t.Errorf("%s: skipped with err %v, start %v", r.Node.ID, r.Err, r.Start)
			}
		}
	}
	if err := rs[slices.IndexFunc(rs, func(r Result) bool { return r.Node.ID == "backup.nightly/snapshot" })].Err; !strings.Contains(err.Error(), "backup.nightly/source.sqlite.app failed") {
		t.Errorf("skip reason %q should name the failed dependency", err)
	}
}

// TestWalkFailedAssertionCommits: a verification that fails an assertion
// still lets the snapshot commit (marked as not verified), but retention,
// the after steps and the backups that depend on it are skipped.
func TestWalkFailedAssertionCommits(t *testing.T) {
	g := mustBuild(t, standard().cfg, Selection{})
	rs := g.Walk(context.Background(), 2, func(_ context.Context, n *Node) error {
		if n.ID == "backup.nightly/verify" {
			return fmt.Errorf("verify: %w", provider.ErrAssertion)
		}
		return nil
	})
	checkStatuses(t, rs, map[string]Status{
		"backup.nightly/verify":                            StatusFailed,
		"backup.nightly/commit":                            StatusOK,
		"backup.nightly/retention":                         StatusSkipped,
		"backup.nightly/after/step.exec.notify":            StatusSkipped,
		"backup.nightly/finally/step.exec.maintenance_off": StatusOK,
		"backup.offsite/commit":                            StatusSkipped,
		"backup.logs/commit":                               StatusOK,
	})
	// Any other verification failure keeps the snapshot from committing.
	rs = g.Walk(context.Background(), 2, func(_ context.Context, n *Node) error {
		if n.ID == "backup.nightly/verify" {
			return errors.New("checksums: 1 damaged")
		}
		return nil
	})
	checkStatuses(t, rs, map[string]Status{"backup.nightly/commit": StatusSkipped})
}

func TestWalkFinallyRunsAfterFailedFinally(t *testing.T) {
	g := mustBuild(t, standard().cfg, Selection{Backups: []string{"nightly"}})
	var ran []string
	rs := g.Walk(context.Background(), 1, func(_ context.Context, n *Node) error {
		ran = append(ran, n.ID)
		switch n.ID {
		case "backup.nightly/before/step.exec.maintenance_on", "backup.nightly/finally/step.exec.maintenance_off":
			return errors.New("exit status 1")
		}
		return nil
	})
	want := []string{
		"backup.nightly/before/step.exec.maintenance_on",
		"backup.nightly/finally/step.exec.maintenance_off",
		"backup.nightly/finally/step.http.ping",
	}
	if !slices.Equal(ran, want) {
		t.Errorf("ran %v, want %v", ran, want)
	}
	checkStatuses(t, rs, map[string]Status{
		"backup.nightly/source.files.site":                 StatusSkipped,
		"backup.nightly/finally/step.exec.maintenance_off": StatusFailed,
		"backup.nightly/finally/step.http.ping":            StatusOK,
	})
}

func TestWalkCancellation(t *testing.T) {
	g := mustBuild(t, standard().cfg, Selection{Backups: []string{"nightly"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	ran := map[string]error{} // node → its ctx.Err() when it returned
	rs := g.Walk(ctx, 1, func(ctx context.Context, n *Node) error {
		if n.ID == "backup.nightly/source.files.site" {
			cancel() // Ctrl-C while this source runs
			<-ctx.Done()
		}
		mu.Lock()
		ran[n.ID] = ctx.Err()
		mu.Unlock()
		return ctx.Err()
	})
	checkStatuses(t, rs, map[string]Status{
		"backup.nightly/before/step.exec.maintenance_on":   StatusOK,
		"backup.nightly/source.files.site":                 StatusCancelled,
		"backup.nightly/source.sqlite.app":                 StatusCancelled,
		"backup.nightly/snapshot":                          StatusCancelled,
		"backup.nightly/after/step.exec.notify":            StatusCancelled,
		"backup.nightly/finally/step.exec.maintenance_off": StatusOK,
		"backup.nightly/finally/step.http.ping":            StatusOK,
	})
	if _, ok := ran["backup.nightly/source.sqlite.app"]; ok {
		t.Error("a node started after cancellation")
	}
	for _, id := range []string{"backup.nightly/finally/step.exec.maintenance_off", "backup.nightly/finally/step.http.ping"} {
		if err, ok := ran[id]; !ok || err != nil {
			t.Errorf("%s: ran=%v, ctx err %v; want it run with a live context", id, ok, err)
		}
	}
	for _, r := range rs {
		if r.Status == StatusCancelled && !errors.Is(r.Err, context.Canceled) {
			t.Errorf("%s: cancelled with err %v", r.Node.ID, r.Err)
		}
	}
}

func TestWalkFinallyGraceAfterCancellation(t *testing.T) {
	g := mustBuild(t, standard().cfg, Selection{Backups: []string{"nightly"}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := &walker{g: g, limit: 2, grace: time.Millisecond, run: func(ctx context.Context, n *Node) error {
		if n.Phase != PhaseFinally {
			t.Errorf("%s ran after cancellation", n.ID)
		}
		<-ctx.Done() // a finally step that hangs
		return context.Cause(ctx)
	}}
	rs := w.walk(ctx)
	for _, r := range rs {
		if r.Node.Phase != PhaseFinally {
			if r.Status != StatusCancelled || !r.Start.IsZero() {
				t.Errorf("%s: %s, start %v", r.Node.ID, r.Status, r.Start)
			}
			continue
		}
		if r.Status != StatusCancelled || !errors.Is(r.Err, ErrFinallyTimeout) || r.Start.IsZero() {
			t.Errorf("%s: %s %v; want cancelled by the grace period", r.Node.ID, r.Status, r.Err)
		}
	}
}

func TestDetachIgnoresParentUntilGrace(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	ctx, release := detach(parent, time.Hour)
	cancel()
	if ctx.Err() != nil {
		t.Fatal("detached context cancelled with its parent")
	}
	release()
	if ctx.Err() == nil {
		t.Fatal("release did not end the detached context")
	}
}

func TestWalkRecoversPanics(t *testing.T) {
	g := mustBuild(t, standard().cfg, Selection{Backups: []string{"logs"}})
	rs := g.Walk(context.Background(), 2, func(_ context.Context, n *Node) error {
		if n.Kind == KindSnapshot {
			panic("nil map")
		}
		return nil
	})
	checkStatuses(t, rs, map[string]Status{
		"backup.logs/source.files.logs": StatusOK,
		"backup.logs/snapshot":          StatusFailed,
		"backup.logs/commit":            StatusSkipped,
	})
	var pe *PanicError
	if !errors.As(rs[1].Err, &pe) || pe.Value != "nil map" || len(pe.Stack) == 0 || pe.Error() != "panic: nil map" {
		t.Errorf("err %#v, want a PanicError with a stack", rs[1].Err)
	}
}

func TestWalkEmptyGraph(t *testing.T) {
	g := mustBuild(t, newFixture().cfg, Selection{})
	if rs := g.Walk(context.Background(), 4, succeed); len(rs) != 0 {
		t.Fatalf("got %d results", len(rs))
	}
}
