package repo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

// orderTestItems is a tree with the orderings that trip a path sort: names
// around '/' ("a", "a-b", "a.b", "a/b", "a0"), a directory never Put
// ("implicit/deep"), a name that is not UTF-8, links, long files (content
// lists under smallLimits) and a directory large enough to be split.
func orderTestItems() []item {
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	rng := newRng(7)
	dir := func(p string) item {
		return item{e: provider.Entry{Path: p, Kind: provider.KindDir, Mode: 0o750 | 1<<31, ModTime: mtime}}
	}
	items := []item{dir("a"), dir("a/b"), dir("big"), dir("a-b")}
	for _, p := range []string{"a.b", "a0", "a/b/x", "a/b-c", "a/bb", "a-b/y", "implicit/deep/f", "caf\xe9", "big/\xff"} {
		items = append(items, fileItem(p, randBytes(rng, 50), mtime))
	}
	for i := range 120 {
		items = append(items, fileItem(fmt.Sprintf("big/f%03d", i), randBytes(rng, 20), mtime))
	}
	items = append(items, fileItem("a/long", randBytes(rng, 300<<10), mtime))
	items = append(items, item{e: provider.Entry{Path: "a/l", Kind: provider.KindSymlink, Mode: 0o777, Target: "b/x"}})
	items = append(items, item{e: provider.Entry{Path: "a/h", Kind: provider.KindHardlink, Mode: 0o644, Target: "a/b/x"}})
	return items
}

// putAll backs items up in the given order, the source writer spilling a
// run every runLimit bytes.
func putAll(t *testing.T, r *Repository, items []item, runLimit int) *Manifest {
	t.Helper()
	ctx := context.Background()
	w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Plan: "p"})
	if err != nil {
		t.Fatal(err)
	}
	sw := w.Source("files", "s")
	sw.runs.limit = runLimit
	for _, it := range items {
		var rd io.Reader
		if it.data != nil {
			rd = bytes.NewReader(it.data)
		}
		if err := sw.Put(ctx, it.e, rd); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Finish(ctx, testFacts("files")); err != nil {
		t.Fatal(err)
	}
	if sw.runs != nil {
		t.Fatal("the source's entries were kept after Finish")
	}
	m, err := w.Commit(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTreeBuildAnyOrder: Puts in walk order with everything in memory,
// and the same Puts shuffled with a run spilled every few entries, make
// the same root tree, which restores every entry; every directory is
// stored exactly as encodeTree encodes its nodes (the format readers of
// older versions know), parts included.
func TestTreeBuildAnyOrder(t *testing.T) {
	o := testOptions()
	o.limits = smallLimits()
	r, _ := newTestRepoWith(t, o)
	items := orderTestItems()
	sorted := slices.Clone(items)
	slices.SortFunc(sorted, func(a, b item) int { return comparePaths(a.e.Path, b.e.Path) })
	inOrder := putAll(t, r, sorted, runBytes)
	for seed := range uint64(4) {
		shuffled := slices.Clone(items)
		newRng(seed).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		m := putAll(t, r, shuffled, 1<<10)
		if m.Sources[0].Root != inOrder.Sources[0].Root {
			t.Fatalf("seed %d: shuffled Puts made root %s, walk order %s", seed, m.Sources[0].Root, inOrder.Sources[0].Root)
		}
	}
	entries, data := readAll(t, r, inOrder, "files.s")
	var got []string
	for _, e := range entries {
		got = append(got, e.Path)
	}
	want := []string{"a", "a/b", "a/b/x", "a/b-c", "a/bb", "a/h", "a/l", "a/long", "a-b", "a-b/y", "a.b", "a0", "big"}
	if !slices.Equal(got[:len(want)], want) || len(entries) != len(items)+2 { // + implicit, implicit/deep
		t.Fatalf("walk order %q…, %d entries", got[:min(len(got), len(want))], len(entries))
	}
	for _, it := range items {
		if it.data != nil && !bytes.Equal(data[it.e.Path], it.data) {
			t.Errorf("%q: content differs", it.e.Path)
		}
	}
	checkEncodedAsBefore(t, r, mustRoot(t, inOrder))
}

// checkEncodedAsBefore walks the trees below root and checks each was
// stored with the id encodeTree's bytes give.
func checkEncodedAsBefore(t *testing.T, r *Repository, root pack.ID) {
	t.Helper()
	ctx := context.Background()
	split := 0
	var visit func(id pack.ID)
	visit = func(id pack.ID) {
		tb, err := r.readTree(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		parts, err := encodeTree(slices.Clone(tb.nodes), r.lim)
		if err != nil {
			t.Fatal(err)
		}
		want := pack.ID(r.key.BlobID(parts[0]))
		if len(parts) > 1 {
			split++
			doc := partsDoc{}
			for _, p := range parts {
				doc.Parts = append(doc.Parts, pack.ID(r.key.BlobID(p)))
			}
			data, _ := json.Marshal(doc)
			want = pack.ID(r.key.BlobID(data))
		}
		if want != id {
			t.Errorf("tree %s is not encoded as encodeTree encodes its %d nodes", id, len(tb.nodes))
		}
		for _, n := range tb.nodes {
			if n.Subtree != nil {
				visit(*n.Subtree)
			}
		}
	}
	visit(root)
	if split == 0 {
		t.Fatal("no directory was split into parts")
	}
}

func TestComparePaths(t *testing.T) {
	order := []string{"a", "a/b", "a/b/c", "a/b-c", "a/bb", "a-b", "a-b/c", "a.b", "a0", "b", "\xff"}
	for i := range order {
		for j := range order {
			if got := comparePaths(order[i], order[j]); (got < 0) != (i < j) || (got == 0) != (i == j) {
				t.Errorf("comparePaths(%q, %q) = %d", order[i], order[j], got)
			}
		}
	}
}
