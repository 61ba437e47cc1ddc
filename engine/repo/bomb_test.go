package repo

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

// storeFunc stores one directory's nodes as a tree blob.
type storeFunc func(nodes []node) pack.ID

// forge commits a snapshot whose one source ("files.s") has the root that
// build makes with the repository's own tree encoder and writer, as
// someone holding the key (or writing an unencrypted repository) can; the
// manifest records entries.
func forge(t *testing.T, r *Repository, entries int64, build func(storeFunc) pack.ID) *Manifest {
	t.Helper()
	ctx := context.Background()
	w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Plan: "p"})
	if err != nil {
		t.Fatal(err)
	}
	sw := w.Source("files", "s")
	root := build(func(nodes []node) pack.ID {
		parts, err := encodeTree(nodes, r.lim)
		if err != nil || len(parts) != 1 {
			t.Fatalf("encode: %d parts, %v", len(parts), err)
		}
		id, err := sw.storeTree(ctx, parts[0])
		if err != nil {
			t.Fatal(err)
		}
		return id
	})
	sw.mu.Lock()
	sw.done = true
	sw.result = SourceManifest{Key: sw.key, Type: "files", Name: "s", Root: root.String(), Entries: entries}
	sw.mu.Unlock()
	m, err := w.Commit(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func dirNode(name string, sub pack.ID) node {
	return node{Name: name, Kind: provider.KindDir, Mode: fs.ModeDir | 0o755, Subtree: &sub}
}

// bomb is levels tree blobs, each naming the one below twice: 2^(levels+1)-2
// paths.
func bomb(levels int) func(storeFunc) pack.ID {
	return func(store storeFunc) pack.ID {
		id := store([]node{})
		for range levels {
			id = store([]node{dirNode("a", id), dirNode("b", id)})
		}
		return id
	}
}

// chain is a path of levels directories.
func chain(levels int) func(storeFunc) pack.ID {
	return func(store storeFunc) pack.ID {
		id := store([]node{})
		for range levels {
			id = store([]node{dirNode("d", id)})
		}
		return id
	}
}

// TestDAGBombRefused: a tree of 40 blobs naming each other twice (2⁴¹
// paths) is refused by every walk that follows paths, after as many
// entries as the manifest records (or, for a manifest without that count,
// the legacy allowance), with an error naming the snapshot and the path;
// prune and check, which read each tree blob once, finish. Without the
// bound the walks run until the context's deadline.
func TestDAGBombRefused(t *testing.T) {
	r, _ := newTestRepo(t)
	// The legacy allowance is 1<<20 entries in production; walking it three
	// times under -race on a loaded 2-core machine took over 20 s in CI.
	// The bound is the same code whatever its value.
	r.lim.legacyEntries = 4096
	// The deadline only stops a walk that is not bounded (2^41 paths):
	// generous, so a slow machine never fails a bounded walk.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	recorded := forge(t, r, 80, bomb(40))
	legacy := forge(t, r, 0, bomb(40))
	for _, c := range []struct {
		m      *Manifest
		budget int64
	}{{recorded, 80}, {legacy, int64(r.lim.legacyEntries)}} {
		tr, err := r.Tree(ctx, c.m, "files.s")
		if err != nil {
			t.Fatal(err)
		}
		var seen int64
		err = tr.Walk(ctx, func(provider.Entry) error { seen++; return nil })
		if !errors.Is(err, errTreeBounds) || !strings.Contains(err.Error(), "snapshot "+c.m.ID+" source files.s: at a/") {
			t.Fatalf("walk of %s: %v", c.m.ID, err)
		}
		if seen != c.budget {
			t.Errorf("walk of %s: %d entries before the refusal, want %d", c.m.ID, seen, c.budget)
		}
		rep, err := r.Check(ctx, []*Manifest{c.m}, nil)
		if err != nil || len(rep.Damaged) != 1 || rep.Damaged[0].Snapshot != c.m.ID || !strings.HasPrefix(rep.Damaged[0].Path, "a/") {
			t.Fatalf("check of %s: %v %+v", c.m.ID, err, rep)
		}
		if _, err := r.RepairSnapshots(ctx, true, nil); !errors.Is(err, errTreeBounds) {
			t.Fatalf("repair snapshots: %v", err)
		}
	}
	if rc, err := r.CheckRepository(ctx, CheckOptions{}); err != nil || !rc.OK() {
		t.Fatalf("check repository: %v %+v", err, rc)
	}
	if _, err := r.Prune(ctx, false); err != nil {
		t.Fatalf("prune: %v", err)
	}
	if rep, err := r.Check(ctx, []*Manifest{recorded}, nil); err != nil || len(rep.Damaged) != 1 || rep.Blobs != 41 {
		t.Fatalf("check after prune (all 41 trees kept): %v %+v", err, rep)
	}
}

// TestDeepTreeRefused: the writer refuses a path of more names than
// treeDepth, and every walk refuses a forged tree deeper than that,
// naming the snapshot and the path; prune deletes nothing then.
func TestDeepTreeRefused(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.limits = smallLimits()
	o.limits.treeDepth = 8
	r, _ := newTestRepoWith(t, o)
	deepest := strings.Repeat("d/", 7) + "f"
	ok := backup(t, r, nil, "files", "s", []item{fileItem(deepest, []byte("x"), time.Now())})
	if _, data := readAll(t, r, ok, "files.s"); string(data[deepest]) != "x" {
		t.Fatalf("%d levels not read back", o.limits.treeDepth)
	}
	w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Plan: "p"})
	if err != nil {
		t.Fatal(err)
	}
	it := fileItem("d/"+deepest, nil, time.Now())
	if err := w.Source("files", "s").Put(ctx, it.e, nil); err == nil || !strings.Contains(err.Error(), "more than 8 directory levels") {
		t.Fatalf("put of 9 levels: %v", err)
	}
	w.Abort()

	m := forge(t, r, 12, chain(12))
	tr, err := r.Tree(ctx, m, "files.s")
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Walk(ctx, func(provider.Entry) error { return nil })
	want := "snapshot " + m.ID + " source files.s: at d/d/d/d/d/d/d/d/d: more than 8 directory levels"
	if !errors.Is(err, errTreeBounds) || !strings.Contains(err.Error(), want) {
		t.Fatalf("walk: %v", err)
	}
	rep, err := r.Check(ctx, []*Manifest{m}, nil)
	if err != nil || len(rep.Damaged) != 1 || !strings.Contains(rep.Damaged[0].Err, want) {
		t.Fatalf("check: %v %+v", err, rep)
	}
	rc, err := r.CheckRepository(ctx, CheckOptions{})
	if err != nil || len(rc.Problems) != 1 || !strings.Contains(rc.Problems[0].Err, want) {
		t.Fatalf("check repository: %v %+v", err, rc)
	}
	if err := r.Forget(ctx, ok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Prune(ctx, false); !errors.Is(err, errTreeBounds) || !strings.Contains(err.Error(), m.ID) {
		t.Fatalf("prune: %v", err)
	}
}

// anyGuard bounds nothing a test walks.
func anyGuard() *walkGuard { return &walkGuard{maxDepth: 1 << 20, max: 1 << 40} }

// TestEntriesRecorded: the manifest records exactly the entries a walk
// visits, directories never Put and split directories included, so an
// honest tree never meets its bound.
func TestEntriesRecorded(t *testing.T) {
	o := testOptions()
	o.limits = smallLimits()
	r, _ := newTestRepoWith(t, o)
	now := time.Now()
	items := []item{fileItem("top", []byte("t"), now), fileItem("x/y/z/f", []byte("f"), now),
		{e: provider.Entry{Path: "x", Kind: provider.KindDir, Mode: fs.ModeDir | 0o700}}}
	for i := range 30 { // more than one tree part of 512 bytes
		items = append(items, fileItem("big/"+strings.Repeat("n", 20)+string(rune('A'+i)), nil, now))
	}
	m := backup(t, r, nil, "files", "s", items)
	entries, _ := readAll(t, r, m, "files.s")
	if got := m.Sources[0].Entries; got != int64(len(entries)) || len(entries) != len(items)+3 {
		t.Fatalf("manifest records %d entries, the walk visits %d (%d items)", got, len(entries), len(items))
	}
}
