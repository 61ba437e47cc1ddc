package deploy

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"
)

// TestRecoverFinishesOrUndoes plays a crash at each step of a switch from
// v1 to v2: before stop it is undone (v1 started again), after it finished
// (v2 current and started).
func TestRecoverFinishesOrUndoes(t *testing.T) {
	for _, tc := range []struct {
		step        int
		wantCurrent string
		wantEvents  string
		wantAction  string
	}{
		{stepStop, "v1", "start releases/v1\n", RecoveryUndone},
		{stepMigrate, "v2", "start releases/v2\n", RecoveryFinished},
		{stepSwitch, "v2", "start releases/v2\n", RecoveryFinished},
		{stepHealth, "v2", "", RecoveryFinished},
	} {
		f := newFixture(t)
		ctx := context.Background()
		f.create("v1", true)
		f.create("v2", true)
		if err := f.d.Switch(ctx, "v1"); err != nil {
			t.Fatal(err)
		}
		v2, _ := f.d.Find(ctx, "v2")
		if err := f.d.materialize(ctx, v2); err != nil {
			t.Fatal(err)
		}
		if tc.step > stepSwitch {
			if err := f.d.switchLink("v2"); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.d.writeJournal(&journal{From: "v1", To: "v2", Step: tc.step}); err != nil {
			t.Fatal(err)
		}
		before := f.events()
		r, err := f.d.Recover(ctx)
		if r == nil || err != nil {
			t.Fatalf("step %d: Recover = %v, %v", tc.step, r, err)
		}
		want := Recovery{Deployment: "api", From: "v1", To: "v2", Action: tc.wantAction, Current: tc.wantCurrent}
		if *r != want {
			t.Errorf("step %d: Recover reported %+v, want %+v", tc.step, *r, want)
		}
		if got := f.current(); got != tc.wantCurrent {
			t.Errorf("step %d: current = %s, want %s", tc.step, got, tc.wantCurrent)
		}
		if got := f.events()[len(before):]; got != tc.wantEvents {
			t.Errorf("step %d: events %q, want %q", tc.step, got, tc.wantEvents)
		}
		if j, _ := f.d.readJournal(); j != nil {
			t.Errorf("step %d: journal left: %+v", tc.step, j)
		}
	}
}

// TestRecoverIfIdleLeavesABusyDeployment: while another process holds the
// deployment's lock (it is switching), RecoverIfIdle does nothing; once
// the lock is free it resumes the journal.
func TestRecoverIfIdleLeavesABusyDeployment(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create("v1", true)
	if err := f.d.Switch(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	if err := f.d.writeJournal(&journal{From: "v1", To: "v2", Step: stepStop}); err != nil {
		t.Fatal(err)
	}
	unlock, err := f.d.lock()
	if err != nil {
		t.Fatal(err)
	}
	if did, err := f.d.RecoverIfIdle(ctx); did != nil || err != nil {
		t.Fatalf("RecoverIfIdle while locked = %v, %v", did, err)
	}
	if j, _ := f.d.readJournal(); j == nil {
		t.Fatal("the journal of the busy deployment was touched")
	}
	unlock()
	if did, err := f.d.RecoverIfIdle(ctx); did == nil || err != nil {
		t.Fatalf("RecoverIfIdle when idle = %v, %v", did, err)
	}
}

// TestOriginsFindAnInterruptedSwitch: a switch records its deployment in
// Origins (with the caller's plan reference) before its journal, so that
// recovery with no plan at hand lists it while its journal is there, and
// no longer once Recover undid it.
func TestOriginsFindAnInterruptedSwitch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.cfg.Health.Timeout = 10 * time.Second // commands only; every check passes (a loaded machine is slow)
	origins := Origins{Dir: filepath.Join(f.dir, "host", "deployments.d")}
	var err error
	f.d, err = Open(f.cfg, Options{PlanDir: f.dir, Clock: f.clock, Origins: origins, Plan: json.RawMessage(`{"dir":"/plan"}`),
		Repo: f.d.opts.Repo})
	if err != nil {
		t.Fatal(err)
	}
	f.create("v1", true)
	f.create("v2", true)
	if err := f.d.Switch(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	if got, err := origins.Interrupted(); len(got) != 0 || err != nil {
		t.Fatalf("Interrupted after a finished switch = %+v, %v", got, err)
	}
	// kill -9 after stop: the journal names the step after stop.
	if err := f.d.writeJournal(&journal{From: "v1", To: "v2", Step: stepStop}); err != nil {
		t.Fatal(err)
	}
	got, err := origins.Interrupted()
	if err != nil || len(got) != 1 || got[0].Deployment != "api" || got[0].StateDir != filepath.Join(f.cfg.Root, ".velin") {
		t.Fatalf("Interrupted = %+v, %v", got, err)
	}
	var plan struct{ Dir string }
	if err := json.Unmarshal(got[0].Plan, &plan); err != nil || plan.Dir != "/plan" {
		t.Fatalf("the recorded plan is %s (%v)", got[0].Plan, err)
	}
	if r, err := f.d.Recover(ctx); err != nil || !r.RolledBack() || r.Current != "v1" {
		t.Fatalf("Recover = %+v, %v", r, err)
	}
	if got, err := origins.Interrupted(); len(got) != 0 || err != nil {
		t.Fatalf("Interrupted after Recover = %+v, %v", got, err)
	}
}
