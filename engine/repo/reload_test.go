package repo

import (
	"context"
	"testing"
	"time"
)

// TestLockReloadsIndexAfterForeignPrune: a repository opened before
// another process forgot a snapshot and pruned its data must not
// deduplicate against the deleted blobs once it takes its lock; its next
// snapshot stores them again and reads back whole.
func TestLockReloadsIndexAfterForeignPrune(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	data := randBytes(newRng(9), 1<<20)
	first := backup(t, r, nil, "files", "s", []item{fileItem("a", data, mtime)})

	long := openTestRepo(t, st) // opened now, used after the prune (a plan, a daemon)
	other := openTestRepo(t, st)
	if err := other.Forget(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Prune(ctx, false); err != nil {
		t.Fatal(err)
	}
	lock, err := long.Lock(ctx, false) // as apply does before its first source
	if err != nil {
		t.Fatal(err)
	}
	m := backup(t, long, nil, "files", "s", []item{fileItem("a", data, mtime)})
	_ = lock.Unlock(ctx)
	fresh := openTestRepo(t, st)
	rep, err := fresh.Check(ctx, []*Manifest{m}, nil)
	if err != nil || len(rep.Damaged) != 0 {
		t.Fatalf("snapshot written after a foreign prune is damaged: %v %+v", err, rep.Damaged)
	}
}
