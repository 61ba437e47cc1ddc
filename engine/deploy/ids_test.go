package deploy

import (
	"context"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo"
)

// TestConfigSnapshotsInOneSecond: config snapshots taken within one second
// (begin, rollback, begin again) get distinct ids instead of a refusal.
func TestConfigSnapshotsInOneSecond(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fixed := time.Date(2026, 12, 3, 9, 27, 23, 0, time.UTC)
	d, err := Open(f.cfg, Options{PlanDir: f.dir, Clock: func() time.Time { return fixed },
		Repo: func(context.Context, bool) (*repo.Repository, error) { return f.repo, nil }})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := range 3 {
		id, err := d.SnapshotConfig(ctx)
		if err != nil {
			t.Fatalf("snapshot %d: %v", i+1, err)
		}
		if seen[id] {
			t.Fatalf("snapshot %d: id %s given twice", i+1, id)
		}
		seen[id] = true
	}
	for _, want := range []string{"conf-20261203-092723", "conf-20261203-092723-2", "conf-20261203-092723-3"} {
		if !seen[want] {
			t.Errorf("ids %v lack %s", seen, want)
		}
	}
	if _, err := d.CreateVersion(ctx, "again", "conf-20261203-092723", KindVersion); err == nil {
		t.Error("a version named like a stored snapshot was accepted")
	}
}
