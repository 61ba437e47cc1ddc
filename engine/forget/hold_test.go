package forget

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/repo"
)

// TestHeldSnapshotIsKept: retention keeps a held snapshot, saying why;
// forgetting it by id is refused; once released, retention forgets it.
func TestHeldSnapshotIsKept(t *testing.T) {
	r, now := repository(t, 3)
	ctx := context.Background()
	b := &config.Backup{Name: "b", Retention: &config.Retention{KeepLast: 1}}
	rt, _ := Decide(ctx, r, b, now)
	oldest := rt.Decisions[2].ID
	h := repo.Hold{Snapshot: oldest, Owner: "transaction tx-1", Deployment: "api", Time: now}
	if err := r.PutHold(ctx, h); err != nil {
		t.Fatal(err)
	}
	rt, err := Decide(ctx, r, b, now)
	if err != nil {
		t.Fatal(err)
	}
	d := rt.Decisions[2]
	if !d.Keep || !strings.Contains(strings.Join(d.Reasons, ","), "held by transaction tx-1") || slices.Contains(rt.Forget(), oldest) {
		t.Fatalf("held snapshot: %+v, forget %v", d, rt.Forget())
	}
	if ids, _ := Forgettable(ctx, r, b, now); slices.Contains(ids, oldest) {
		t.Fatalf("Forgettable lists the held snapshot: %v", ids)
	}
	if _, err := Run(ctx, r, []string{oldest}, false); !errors.Is(err, repo.ErrHeld) {
		t.Fatalf("forget of a held snapshot: %v", err)
	}
	if _, err := Retain(ctx, r, b, now); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Snapshot(ctx, oldest); err != nil {
		t.Fatalf("held snapshot gone after Retain: %v", err)
	}
	if err := r.DeleteHold(ctx, h); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteHold(ctx, h); err != nil {
		t.Fatalf("releasing twice: %v", err)
	}
	if res, err := Retain(ctx, r, b, now); err != nil || !slices.Contains(res.Forgotten, oldest) {
		t.Fatalf("after release: %v, %+v", err, res)
	}
}
