package repo

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/engine/storage/counting"
	"github.com/velinhq/velin/providers/provider"
)

// TestWrittenTreesCachedAtFlush: the tree blobs a backup stores are in the
// local cache, intact, once its Flush returns (the cache writers run off
// the pipeline's workers, and closing the pipeline waits for them): a
// repository opened afresh walks the snapshot's 300 directories without
// a single range read.
func TestWrittenTreesCachedAtFlush(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.CacheDir = t.TempDir()
	st := counting.New(repotest.NewMem())
	r, err := Init(ctx, st, o)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rng := newRng(7)
	mtime := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var items []item
	for i := range 300 {
		items = append(items, fileItem(fmt.Sprintf("d%03d/f", i), randBytes(rng, 64), mtime))
	}
	m := backup(t, r, nil, "files", "a", items)

	r2, err := Open(ctx, st, o)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	before := st.Counts()
	tr, err := r2.Tree(ctx, m, "files.a")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := tr.Walk(ctx, func(provider.Entry) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if c := st.Counts().Sub(before); c.GetRange != 0 || n != 600 {
		t.Errorf("walk after the backup: %d range reads, %d entries; want 0 (every tree cached), 600", c.GetRange, n)
	}
}
