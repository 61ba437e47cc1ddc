package repo

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

// TestParentIndexMatchesMap: for every node of a parent tree (directories,
// files with content, a long file with content lists, an empty file, a
// sparse file, meta, a symlink, a hard link, split tree parts) a lookup in
// the parent index, kept in memory or spilled to its temporary file,
// returns exactly what the map of compact nodes it replaced returned.
func TestParentIndexMatchesMap(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.limits = smallLimits()
	r, _ := newTestRepoWith(t, o)
	m := backup(t, r, nil, "files", "s", parentKinds())
	ps := m.Source(SourceKey("files", "s"))
	old := map[string]parentNode{}
	err := r.walkTree(ctx, r.newWalkGuard(m, ps), ps.Root, false, func(p string, n node) error {
		old[p] = compactNode(n)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkParentCoverage(t, old)
	for _, memMax := range []int{parentMemBytes, 0} {
		w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Plan: "p", Parent: m})
		if err != nil {
			t.Fatal(err)
		}
		sw := w.Source("files", "s")
		sw.parentMem = memMax
		for p, want := range old {
			got, ok := sw.parentOf(p)
			if !ok || !reflect.DeepEqual(got, want.node()) {
				t.Errorf("memory %d: parent of %s:\n%+v %v, want\n%+v", memMax, p, got, ok, want.node())
			}
		}
		if _, ok := sw.parentOf("d/none"); ok {
			t.Errorf("memory %d: a parent entry for a path the parent does not have", memMax)
		}
		if spilled := sw.parent.file != nil; spilled != (memMax == 0) {
			t.Errorf("memory %d: records spilled to a file: %v", memMax, spilled)
		}
		w.Abort()
		if _, ok := sw.parentOf("d/a"); ok {
			t.Errorf("memory %d: a parent entry after Abort", memMax)
		}
	}
}

// parentKinds is a source with every kind of node a parent index keeps.
func parentKinds() []item {
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	items := []item{
		{e: provider.Entry{Path: "d", Kind: provider.KindDir, Mode: 0o755 | 1<<31, ModTime: mtime, UID: 1, GID: 2}},
		fileItem("d/a", []byte("some content"), mtime),
		fileItem("d/long", randBytes(newRng(3), 1<<20), mtime),
		fileItem("d/empty", nil, mtime.Add(-time.Hour)),
		fileItem("d/sparse", randBytes(newRng(4), 5000), mtime),
		fileItem("d/meta", []byte("row"), mtime),
		{e: provider.Entry{Path: "d/link", Kind: provider.KindSymlink, Mode: 0o777 | 1<<27, ModTime: mtime, Target: "../elsewhere/ü"}},
		{e: provider.Entry{Path: "d/hard", Kind: provider.KindHardlink, Mode: 0o644, ModTime: mtime, Target: "d/a"}},
	}
	items[4].e.Sparse = true
	items[5].e.Meta = map[string]string{"table": "users", "rows": "1", "empty": ""}
	items[3].e.Inode, items[3].e.Device, items[3].e.UID = math.MaxUint64, 1<<40, math.MaxUint32
	for i := range 30 { // enough for the directory to be split into parts
		items = append(items, fileItem("d/sub/f"+string(rune('a'+i)), []byte{byte(i)}, mtime))
	}
	return items
}

// checkParentCoverage fails unless nodes hold every kind the test needs.
func checkParentCoverage(t *testing.T, nodes map[string]parentNode) {
	t.Helper()
	seen := map[string]bool{}
	for _, n := range nodes {
		seen[string(n.Kind)] = true
		seen["content"] = seen["content"] || len(n.Content) > 0 && n.ContentList == nil
		seen["list"] = seen["list"] || n.ContentList != nil && len(n.Content) > 2
		seen["meta"] = seen["meta"] || len(n.Meta) > 0
		seen["sparse"] = seen["sparse"] || n.Sparse
		seen["ctime"] = seen["ctime"] || n.CTime != 0
	}
	for _, k := range []string{"dir", "file", "symlink", "hardlink", "content", "list", "meta", "sparse", "ctime"} {
		if !seen[k] {
			t.Errorf("the parent tree has no %s node", k)
		}
	}
}

// TestParentRecordBounds: records round-trip at the edges of every field,
// and a truncated or extended record is refused, not misread.
func TestParentRecordBounds(t *testing.T) {
	list := pack.ID{9, 8, 7}
	nodes := []parentNode{
		{},
		{Kind: provider.KindFile, MTime: math.MinInt64, CTime: math.MaxInt64, Size: -1, Inode: math.MaxUint64,
			Device: math.MaxUint64, Mode: 1<<32 - 1, UID: math.MaxUint32, GID: math.MaxUint32, Sparse: true,
			Content: []pack.ID{{1}, {2}}, ContentList: &list, Meta: map[string]string{"": "", "k": "v\x00"}},
	}
	for _, want := range nodes {
		rec := appendParent(nil, want)
		got, err := decodeParent(rec)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("round trip: %+v %v, want %+v", got, err, want)
		}
		for n := range len(rec) {
			if _, err := decodeParent(rec[:n]); err == nil {
				t.Errorf("a record cut to %d of %d bytes was read", n, len(rec))
			}
		}
		if _, err := decodeParent(append(rec, 0)); err == nil {
			t.Error("a record with a byte too many was read")
		}
	}
}
