package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

// TestWalkStreamsParts: walking a directory split into parts reads it a
// part at a time; the tree cache keeps neither the directory nor its
// parts, and a second walk gives the same entries.
func TestWalkStreamsParts(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.limits = smallLimits()
	r, st := newTestRepoWith(t, o)
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	items := []item{{e: provider.Entry{Path: "big", Kind: provider.KindDir, Mode: 0o755 | 1<<31, ModTime: mtime}}}
	for i := range 300 {
		items = append(items, fileItem(fmt.Sprintf("big/f%03d", i), []byte{byte(i)}, mtime))
	}
	m := backup(t, r, nil, "files", "s", items)
	r2 := openTestRepoWith(t, st, o) // nothing cached
	for range 2 {
		entries, data := readAll(t, r2, m, "files.s")
		if len(entries) != 301 || entries[300].Path != "big/f299" || data["big/f299"][0] != byte(299%256) {
			t.Fatalf("walked %d entries", len(entries))
		}
	}
	big := mustRootSubtree(t, r2, m)
	tb, err := r2.readTree(ctx, big)
	if err != nil || len(tb.meta) < 10 {
		t.Fatalf("directory not split into many parts: %d, %v", len(tb.meta), err)
	}
	for _, id := range append(tb.meta, big) {
		if _, ok := r2.trees.get(id); ok {
			t.Fatalf("tree %s of the split directory is cached", id)
		}
	}
}

// TestWalkRefusesPartsOutOfOrder: a parts list whose parts are not in
// name order is a damaged tree, reported with the directory's path; an
// error of the walk's callback comes back as it is.
func TestWalkRefusesPartsOutOfOrder(t *testing.T) {
	ctx := context.Background()
	r, _ := newTestRepo(t)
	w, _ := r.NewSnapshot(ctx, SnapshotMeta{})
	defer w.Abort()
	sw := w.Source("files", "x")
	store := func(v any) pack.ID {
		data, _ := json.Marshal(v)
		id, err := sw.storeTree(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	part := func(names ...string) pack.ID {
		var nodes []node
		for _, n := range names {
			nodes = append(nodes, node{Name: n, Kind: provider.KindFile})
		}
		return store(treeDoc{Nodes: nodes})
	}
	a, b := part("a", "b"), part("c", "d")
	good, bad := store(partsDoc{Parts: []pack.ID{a, b}}), store(partsDoc{Parts: []pack.ID{b, a}})
	if err := sw.Finish(ctx, testFacts("files")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var seen []string
	err := r.walkID(ctx, anyGuard(), good, "d", 1, false, func(p string, _ node) error { seen = append(seen, p); return nil })
	if err != nil || strings.Join(seen, " ") != "d/a d/b d/c d/d" {
		t.Fatalf("walk: %q, %v", seen, err)
	}
	err = r.walkID(ctx, anyGuard(), bad, "d", 1, false, func(string, node) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "tree of d: tree part") || !strings.Contains(err.Error(), "not sorted across parts") {
		t.Fatalf("parts out of order: %v", err)
	}
	stop := errors.New("stop")
	if err := r.walkID(ctx, anyGuard(), good, "d", 1, false, func(string, node) error { return stop }); err != stop {
		t.Fatalf("callback error came back as %v", err)
	}
}
