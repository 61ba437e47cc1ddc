package repo

import (
	"context"
	"testing"
	"time"
)

// TestStreamedListsMatchStoreList: a long stream stores its content lists
// while it is read, keeping at most one list of chunk ids in memory; they
// are the lists storeList makes of all its chunk ids at once, so the
// tree is as before and a second backup of the stream counts as unchanged.
func TestStreamedListsMatchStoreList(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.limits = smallLimits()
	r, _ := newTestRepoWith(t, o)
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, size := range []int{1 << 20, 3 << 20} { // ~20 and ~50 chunks: lists of 3, several levels
		items := []item{fileItem("dump.sql", randBytes(newRng(uint64(size)), size), mtime)}
		m := backup(t, r, nil, "files", "s", items)
		tb, err := r.readTree(ctx, mustRoot(t, m))
		if err != nil || tb.nodes[0].ContentList == nil || len(tb.nodes[0].lists) < 4 {
			t.Fatalf("no content lists: %v", err)
		}
		n := tb.nodes[0]
		w, _ := r.NewSnapshot(ctx, SnapshotMeta{})
		want, err := w.Source("files", "s").storeList(ctx, n.Content)
		w.Abort()
		if err != nil || want != *n.ContentList {
			t.Fatalf("%d bytes: streamed lists end in %s, storeList makes %s (%v)", size, n.ContentList, want, err)
		}
		again := backup(t, r, m, "files", "s", items)
		if again.Stats.FilesUnmodified != 1 || again.Sources[0].Root != m.Sources[0].Root {
			t.Fatalf("%d bytes: second backup %+v", size, again.Stats)
		}
	}
}
