package repo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/providers/provider"
)

// TestLimitsWriterWithinReader makes the largest object of every kind the
// writer may make under the default limits and reads it back under the
// same limits: whatever the writer may write, the reader must read.
func TestLimitsWriterWithinReader(t *testing.T) {
	lim := defaultLimits()
	if err := lim.check(); err != nil {
		t.Fatal(err)
	}
	// A node as long as a node can be: PATH_MAX name and target that are
	// not UTF-8 (base64), all its content inline.
	big := node{Name: strings.Repeat("\xff", 4096), Kind: provider.KindSymlink, Target: strings.Repeat("\xfe", 4096)}
	file := node{Name: strings.Repeat("\"", 4096), Kind: provider.KindFile, Size: 1 << 40, Content: make([]pack.ID, lim.inlineContent)}
	nodes := []node{big, file}
	for i := range 3000 {
		nodes = append(nodes, node{Name: fmt.Sprintf("%04d%s", i, strings.Repeat("\\", 2000)), Kind: provider.KindFile, Size: 1})
	}
	parts, err := encodeTree(nodes, lim)
	if err != nil || len(parts) < 2 {
		t.Fatalf("encode: %d parts, %v", len(parts), err)
	}
	total := 0
	for _, p := range parts {
		if len(p) > lim.treePart+maxNodeJSON || len(p) > lim.blobRaw {
			t.Errorf("tree part of %d bytes", len(p))
		}
		back, sub, err := decodeTree(p, lim)
		if err != nil || sub != nil {
			t.Fatalf("part does not decode: %v", err)
		}
		total += len(back)
	}
	if total != len(nodes) {
		t.Fatalf("%d nodes back, want %d", total, len(nodes))
	}
	// The longest content list and parts list.
	list := encodeList(lim.listDepth-1, make([]pack.ID, lim.listIDs))
	if len(list) > lim.blobRaw {
		t.Errorf("content list of %d bytes", len(list))
	}
	if _, ids, err := decodeList(list, lim); err != nil || len(ids) != lim.listIDs {
		t.Errorf("content list does not decode: %v", err)
	}
	ids := make([]pack.ID, lim.parts)
	for i := range ids {
		ids[i][0], ids[i][1] = byte(i), byte(i>>8)
	}
	doc, _ := json.Marshal(partsDoc{Parts: ids})
	if len(doc) > lim.blobRaw {
		t.Errorf("parts list of %d bytes", len(doc))
	}
	if _, got, err := decodeTree(doc, lim); err != nil || len(got) != lim.parts {
		t.Errorf("parts list does not decode: %v", err)
	}
	// A blob of the largest size survives sealing, compression and the
	// reader's decompression bound.
	r, _ := newTestRepo(t)
	for _, plain := range [][]byte{bytes.Repeat([]byte("a"), lim.blobRaw), randBytes(newRng(1), lim.blobRaw)} {
		id := pack.ID(r.key.BlobID(plain))
		stored, _, flags := r.encodeBlob(nil, nil, nil, nil, plain, pack.KindTree, id)
		if _, err := r.decodeBlob(stored, pack.KindTree, id, flags, uint32(len(plain))); err != nil {
			t.Errorf("blob of %d bytes (flags %d) unreadable: %v", len(plain), flags, err)
		}
	}
}

// TestLimitsTreeDepthWriterWithinReader: the deepest path the writer
// takes (treeDepth names, 4,095 bytes under the default limits) is read
// back by a walk, check and prune; one name more is refused by the writer.
func TestLimitsTreeDepthWriterWithinReader(t *testing.T) {
	ctx := context.Background()
	r, _ := newTestRepo(t)
	lim := r.lim
	deepest := strings.Repeat("a/", lim.treeDepth-1) + "f"
	m := backup(t, r, nil, "files", "s", []item{fileItem(deepest, []byte("deep"), time.Now())})
	if _, data := readAll(t, r, m, "files.s"); string(data[deepest]) != "deep" {
		t.Fatalf("a path of %d names is not read back", lim.treeDepth)
	}
	if rep, err := r.Check(ctx, []*Manifest{m}, nil); err != nil || !rep.OK() || rep.Files != 1 {
		t.Fatalf("check: %v %+v", err, rep)
	}
	if rc, err := r.CheckRepository(ctx, CheckOptions{}); err != nil || !rc.OK() {
		t.Fatalf("check repository: %v %+v", err, rc)
	}
	if _, err := r.Prune(ctx, false); err != nil {
		t.Fatal(err)
	}
	w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Plan: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	it := fileItem("a/"+deepest, nil, time.Now())
	if err := w.Source("files", "s").Put(ctx, it.e, nil); err == nil {
		t.Fatalf("a path of %d names was accepted", lim.treeDepth+1)
	}
}

// smallLimits reach several levels of content lists and tree parts with a
// few megabytes.
func smallLimits() *limits {
	l := defaultLimits()
	l.treePart, l.inlineContent, l.listIDs = 512, 2, 3
	return &l
}

// TestSplitTreesAndListsSurvivePrune round-trips a long stream through
// four levels of content lists and a directory split into parts, then
// prunes an older snapshot and checks nothing still referenced was lost.
func TestSplitTreesAndListsSurvivePrune(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.limits = smallLimits()
	r, st := newTestRepoWith(t, o)
	rng := newRng(7)
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	stream := randBytes(rng, 6<<20) // ~90 chunks: 90 → 30 → 10 → 4 → 2 → 1
	var items []item
	items = append(items, fileItem("dump.sql", stream, mtime))
	for i := range 40 {
		items = append(items, fileItem(fmt.Sprintf("dir/f%02d", i), randBytes(rng, 100), mtime))
	}
	old := backup(t, r, nil, "files", "s", items[:5])
	m := backup(t, r, nil, "files", "s", items)
	if err := r.Forget(ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Prune(ctx, false); err != nil {
		t.Fatal(err)
	}
	r2 := openTestRepoWith(t, st, o) // nothing cached
	_, data := readAll(t, r2, m, "files.s")
	if !bytes.Equal(data["dump.sql"], stream) || len(data) != 41 {
		t.Fatalf("after prune: %d files, dump equal %v", len(data), bytes.Equal(data["dump.sql"], stream))
	}
	tb, err := r2.readTree(ctx, mustRoot(t, m))
	if err != nil {
		t.Fatal(err)
	}
	levels := 0
	for _, n := range tb.nodes {
		if n.Name == "dump.sql" {
			levels = len(n.lists)
		}
	}
	if levels < 4 {
		t.Fatalf("the stream used %d content lists, want several levels", levels)
	}
	rep, err := r2.Check(ctx, []*Manifest{m}, nil)
	if err != nil || len(rep.Damaged) != 0 {
		t.Fatalf("check after prune: %v %+v", err, rep.Damaged)
	}
}

func mustRoot(t *testing.T, m *Manifest) pack.ID {
	t.Helper()
	id, err := pack.ParseID(m.Sources[0].Root)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func openTestRepoWith(t *testing.T, st storage.Storage, o Options) *Repository {
	t.Helper()
	r, err := Open(context.Background(), st, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// TestForgedContentListRefused: a content list that names more chunks
// than its file's size could hold (a forged node sharing a long file's
// lists) is refused, not followed.
func TestForgedContentListRefused(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.limits = smallLimits()
	r, _ := newTestRepoWith(t, o)
	m := backup(t, r, nil, "files", "s", []item{fileItem("a", randBytes(newRng(3), 2<<20), time.Now())})
	tb, err := r.readTree(ctx, mustRoot(t, m))
	if err != nil || tb.nodes[0].ContentList == nil {
		t.Fatalf("no content list: %v", err)
	}
	n := tb.nodes[0]
	if chunks, _, err := r.readList(ctx, *n.ContentList, n.Size); err != nil || len(chunks) != len(n.Content) {
		t.Fatalf("honest list: %v", err)
	}
	_, _, err = r.readList(ctx, *n.ContentList, 1)
	if err == nil || !strings.Contains(err.Error(), "than 1 bytes can") {
		t.Fatalf("forged size accepted: %v", err)
	}
}

// TestMetaBound: an entry's Meta at the bound is accepted, one byte or one
// key more is refused by the writer (the node size bound in check relies
// on it).
func TestMetaBound(t *testing.T) {
	m := map[string]string{"k": strings.Repeat("v", metaBytes-1)}
	if err := checkMeta(m); err != nil {
		t.Errorf("meta at the bound refused: %v", err)
	}
	m["k"] += "v"
	if err := checkMeta(m); err == nil {
		t.Error("meta of metaBytes+1 bytes accepted")
	}
	many := map[string]string{}
	for i := range metaKeys + 1 {
		many[fmt.Sprint(i)] = ""
	}
	if err := checkMeta(many); err == nil {
		t.Error("meta of metaKeys+1 keys accepted")
	}
}
