package repo

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

// TestCheckAndPruneReadPartsOneAtATime: check (both kinds) and prune walk
// a directory split into parts and a stream of several content-list
// levels a part and a list at a time: they find nothing wrong, keep every
// blob, and never hold the directory, or a tree with a stream's chunk
// ids expanded, whole (as the tree cache would then have it).
func TestCheckAndPruneReadPartsOneAtATime(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.limits = smallLimits()
	r, st := newTestRepoWith(t, o)
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	items := []item{
		{e: provider.Entry{Path: "big", Kind: provider.KindDir, Mode: 0o755 | 1<<31, ModTime: mtime}},
		fileItem("dump.sql", randBytes(newRng(9), 3<<20), mtime),
	}
	for i := range 300 {
		items = append(items, fileItem(fmt.Sprintf("big/f%03d", i), []byte{byte(i)}, mtime))
	}
	m := backup(t, r, nil, "files", "s", items)
	r2 := openTestRepoWith(t, st, o) // nothing cached
	repo, err := r2.CheckRepository(ctx, CheckOptions{})
	if err != nil || !repo.OK() {
		t.Fatalf("check repository: %v %+v", err, repo)
	}
	rep, err := r2.Check(ctx, []*Manifest{m}, nil)
	if err != nil || !rep.OK() || rep.Files != 301 {
		t.Fatalf("check: %v %+v", err, rep)
	}
	ps, err := r2.Prune(ctx, false)
	if err != nil || ps.PacksDeleted+ps.BlobsRemoved+ps.PacksMarked != 0 {
		t.Fatalf("prune: %v %+v", err, ps)
	}
	root, err := openTestRepoWith(t, st, o).readTree(ctx, mustRoot(t, m))
	if err != nil || root.nodes[0].Name != "big" {
		t.Fatalf("root tree: %v", err)
	}
	big := *root.nodes[0].Subtree
	r2.trees.mu.Lock()
	defer r2.trees.mu.Unlock()
	for id, tb := range r2.trees.trees {
		if id == big {
			t.Fatal("the split directory was read whole")
		}
		for _, n := range tb.nodes {
			if n.ContentList != nil && len(n.Content) > 0 {
				t.Fatalf("tree %s holds %s's %d chunk ids", id, n.Name, len(n.Content))
			}
		}
	}
}
