package forget

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/providers/provider"
)

// repository holds n snapshots of backup "b", an hour apart, each with its
// own 50 kB of data.
func repository(t *testing.T, n int) (*repo.Repository, time.Time) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 5, 0, 0, 0, time.UTC)
	r, err := repo.Init(ctx, repotest.NewMem(), repo.Options{Encryption: "none", Clock: func() time.Time { return now },
		PruneMargin: -1, PruneGrace: -1}) // reclaim at once
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	for i := 0; i < n; i++ {
		now = now.Add(time.Hour)
		w, err := r.NewSnapshot(ctx, repo.SnapshotMeta{Backup: "b", Strategy: "full"})
		if err != nil {
			t.Fatal(err)
		}
		sw := w.Source("files", "data")
		data := make([]byte, 50_000)
		rand.Read(data)
		e := provider.Entry{Path: "f", Kind: provider.KindFile, Mode: 0o644, Size: int64(len(data))}
		if err := sw.Put(ctx, e, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if err := sw.Finish(ctx, provider.Facts{Type: "files"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Commit(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	return r, now
}

func TestDecideSaysWhichRuleKeeps(t *testing.T) {
	r, now := repository(t, 3)
	rt, err := Decide(context.Background(), r, &config.Backup{Name: "b", Retention: &config.Retention{KeepLast: 1}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(rt.Decisions) != 3 || !rt.Decisions[0].Keep || rt.Decisions[0].Reasons[0] != "last" {
		t.Fatalf("decisions %+v", rt.Decisions)
	}
	if f := rt.Forget(); len(f) != 2 || f[0] != rt.Decisions[2].ID {
		t.Fatalf("Forget() = %v, want the two older ones, oldest first", f)
	}
	none, _ := Decide(context.Background(), r, &config.Backup{Name: "b"}, now)
	if len(none.Forget()) != 0 || none.Forget() == nil {
		t.Fatalf("no policy must keep everything (and Forget is [] not nil): %v", none.Forget())
	}
}

func TestDryRunReportsWhatTheRunReclaims(t *testing.T) {
	r, now := repository(t, 3)
	ctx := context.Background()
	rt, _ := Decide(ctx, r, &config.Backup{Name: "b", Retention: &config.Retention{KeepLast: 1}}, now)
	dry, err := Run(ctx, r, rt.Forget(), true)
	if err != nil {
		t.Fatal(err)
	}
	if snaps, _ := r.Snapshots(ctx); len(snaps) != 3 {
		t.Fatalf("a dry run forgot snapshots: %d left", len(snaps))
	}
	if dry.Reclaimed.BytesFreed < 100_000 {
		t.Fatalf("dry run reclaims %d bytes, want the data of two snapshots", dry.Reclaimed.BytesFreed)
	}
	real, err := Run(ctx, r, rt.Forget(), false)
	if err != nil {
		t.Fatal(err)
	}
	if real.Reclaimed != dry.Reclaimed {
		t.Fatalf("dry run %+v, real run %+v", dry.Reclaimed, real.Reclaimed)
	}
}

func TestRetainForgettingNothingTakesNoExclusiveLock(t *testing.T) {
	r, now := repository(t, 2)
	ctx := context.Background()
	held, err := r.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Unlock(ctx)
	res, err := Retain(ctx, r, &config.Backup{Name: "b", Retention: &config.Retention{KeepLast: 5}}, now)
	if err != nil || res != nil {
		t.Fatalf("retention that forgets nothing: %+v, %v", res, err)
	}
	_, err = Retain(ctx, r, &config.Backup{Name: "b", Retention: &config.Retention{KeepLast: 1}}, now)
	if !errors.Is(err, repo.ErrLocked) {
		t.Fatalf("retention that forgets needs the exclusive lock: %v", err)
	}
}
