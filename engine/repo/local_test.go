package repo

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/storage/local"
)

func TestOnLocalStorage(t *testing.T) {
	ctx := context.Background()
	st, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := Init(ctx, st, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l, err := r.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	items := randomTree(rand.New(rand.NewPCG(7, 7)))
	m := backup(t, r, nil, "files", "site", items)
	if err := l.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	r2 := openTestRepo(t, st)
	got, err := r2.Snapshot(ctx, "2025")
	if err != nil || got.ID != m.ID {
		t.Fatalf("snapshot: %v", err)
	}
	checkItems(t, r2, got, "files.site", items)
	rep, err := r2.Check(ctx, []*Manifest{got}, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("check: %+v %v", rep, err)
	}
	if err := r2.Forget(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	ps, err := r2.Prune(ctx, false)
	if err != nil || ps.PacksDeleted == 0 {
		t.Fatalf("prune: %+v %v", ps, err)
	}
	if s, err := r2.Stats(ctx); err != nil || s.StoredBytes != 0 || s.Blobs != 0 {
		t.Fatalf("stats after prune: %+v %v", s, err)
	}
	_ = time.Now
}
