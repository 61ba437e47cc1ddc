package repo

import (
	"context"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/providers/provider"
)

// TestCacheServesListedObjects: with a cache, a repository opened again
// gets only config and its key file, lists, and walks its trees without a
// range read; without one it reads them all (so the test can tell).
func TestCacheServesListedObjects(t *testing.T) {
	ctx := context.Background()
	r, st, o := cachedRepo(t)
	items := dirItems(newRng(1), "d%d/f", 12, 100)
	mtime := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	m1 := backup(t, r, nil, "files", "a", items)
	backup(t, r, m1, "files", "a", append(items, fileItem("new", []byte("x"), mtime)))

	walk := func(o Options) (gets, ranges int64, n int) {
		r, err := Open(ctx, st, o)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		before := st.Counts()
		snaps, err := r.Snapshots(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range snaps {
			tr, err := r.Tree(ctx, m, "files.a")
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Walk(ctx, func(provider.Entry) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		c := st.Counts().Sub(before)
		return c.Get, c.GetRange, n
	}
	walk(o) // fills the cache with what the backups did not write there
	gets, ranges, n := walk(o)
	if gets != 0 || ranges != 0 || n != 12*2*2+1 {
		t.Errorf("cached: %d gets, %d range reads after Open, %d entries; want 0, 0, 49", gets, ranges, n)
	}
	o.CacheDir = ""
	if gets, ranges, _ := walk(o); gets != 2 || ranges == 0 {
		t.Errorf("uncached: %d gets (want 2 manifests), %d range reads (want some)", gets, ranges)
	}
}

// TestCheckBypassesCache: with every pack gone from storage, the cache
// still serves the snapshot's trees to a walk (the index lists them), but
// Check reads the repository and reports them damaged.
func TestCheckBypassesCache(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.CacheDir = t.TempDir()
	mem := repotest.NewMem()
	r, err := Init(ctx, mem, o)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	mtime := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	m := backup(t, r, nil, "files", "a", []item{fileItem("d/empty", nil, mtime), fileItem("e/empty", nil, mtime)})
	var packs []string
	mem.List(ctx, "data/", func(oi storage.ObjectInfo) error { packs = append(packs, oi.Name); return nil })
	for _, p := range packs {
		mem.Delete(ctx, p)
	}
	if len(packs) == 0 {
		t.Fatal("no packs to delete")
	}
	r2, err := Open(ctx, mem, o)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if entries, _ := readAll(t, r2, m, "files.a"); len(entries) != 4 {
		t.Fatalf("walk from the cache gave %d entries, want 4", len(entries))
	}
	rep, err := r2.Check(ctx, []*Manifest{m}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Error("Check found no damage: it read the trees from the cache")
	}
}
