package forget

import (
	"context"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/providers/provider"
)

// TestRetentionAndParentPerHost: two hosts back up the same backup block
// into one repository; each host's retention forgets only its own
// snapshots, and each host's incremental parent is its own latest. Hosts
// are told apart by machine id even when their host names are equal (as
// containers' are).
func TestRetentionAndParentPerHost(t *testing.T) {
	ctx := context.Background()
	st := repotest.NewMem()
	now := time.Date(2026, 11, 20, 5, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	open := func(machine string) *repo.Repository {
		r, _, err := repo.OpenOrInit(ctx, st, repo.Options{Encryption: "none", Clock: clock, Host: "web", MachineID: machine})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	a, b := open("machine-a"), open("machine-b")
	snap := func(r *repo.Repository) string {
		now = now.Add(time.Hour)
		w, err := r.NewSnapshot(ctx, repo.SnapshotMeta{Backup: "nightly", Strategy: "full"})
		if err != nil {
			t.Fatal(err)
		}
		sw := w.Source("files", "data")
		if err := sw.Put(ctx, provider.Entry{Path: "d", Kind: provider.KindDir, Mode: 0o755}, nil); err != nil {
			t.Fatal(err)
		}
		if err := sw.Finish(ctx, provider.Facts{Type: "files"}); err != nil {
			t.Fatal(err)
		}
		m, err := w.Commit(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	a1 := snap(a)
	b1 := snap(b)
	a2 := snap(a)
	if m, _ := b.Latest(ctx, "nightly", ""); m == nil || m.ID != b1 {
		t.Fatalf("host b's parent is %v, want its own %s", m, b1)
	}
	blk := &config.Backup{Name: "nightly", Retention: &config.Retention{KeepLast: 1}}
	res, err := Retain(ctx, a, blk, now)
	if err != nil {
		t.Fatal(err)
	}
	if res == nil || len(res.Forgotten) != 1 || res.Forgotten[0] != a1 {
		t.Fatalf("host a forgot %+v, want only its own %s", res, a1)
	}
	snaps, _ := b.Snapshots(ctx)
	var ids []string
	for _, m := range snaps {
		ids = append(ids, m.ID)
	}
	if len(ids) != 2 || ids[0] != b1 || ids[1] != a2 {
		t.Fatalf("left %v, want [%s %s]", ids, b1, a2)
	}
}
