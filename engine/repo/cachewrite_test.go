package repo

import (
	"context"
	"fmt"
	"math/rand/v2"
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
	r, st, o := cachedRepo(t)
	items := dirItems(newRng(7), "d%03d/f", 300, 64)
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

// cachedRepo is a new repository in memory, counted, with a local cache.
func cachedRepo(t *testing.T) (*Repository, *counting.Storage, Options) {
	t.Helper()
	o := testOptions()
	o.CacheDir = t.TempDir()
	st := counting.New(repotest.NewMem())
	r, err := Init(context.Background(), st, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, st, o
}

// dirItems are n files of size random bytes, each in its own directory
// named by format.
func dirItems(rng *rand.Rand, format string, n, size int) []item {
	mtime := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	items := make([]item, 0, n)
	for i := range n {
		items = append(items, fileItem(fmt.Sprintf(format, i), randBytes(rng, size), mtime))
	}
	return items
}
