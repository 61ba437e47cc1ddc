package deploy

import (
	"context"
	"testing"
)

// TestRecoverFinishesOrUndoes plays a crash at each step of a switch from
// v1 to v2: before stop it is undone (v1 started again), after it finished
// (v2 current and started).
func TestRecoverFinishesOrUndoes(t *testing.T) {
	for _, tc := range []struct {
		step        int
		wantCurrent string
		wantEvents  string
	}{
		{stepStop, "v1", "start releases/v1\n"},
		{stepMigrate, "v2", "start releases/v2\n"},
		{stepSwitch, "v2", "start releases/v2\n"},
		{stepHealth, "v2", ""},
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
		did, err := f.d.Recover(ctx)
		if !did || err != nil {
			t.Fatalf("step %d: Recover = %v, %v", tc.step, did, err)
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
	if did, err := f.d.RecoverIfIdle(ctx); did || err != nil {
		t.Fatalf("RecoverIfIdle while locked = %v, %v", did, err)
	}
	if j, _ := f.d.readJournal(); j == nil {
		t.Fatal("the journal of the busy deployment was touched")
	}
	unlock()
	if did, err := f.d.RecoverIfIdle(ctx); !did || err != nil {
		t.Fatalf("RecoverIfIdle when idle = %v, %v", did, err)
	}
}
