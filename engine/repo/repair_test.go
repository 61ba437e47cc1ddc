package repo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/engine/repo/repotest"
)

// TestConfigMissingRefusesInit: a repository whose config object is lost is
// not overwritten by a new one; Open and OpenOrInit name the problem.
func TestConfigMissingRefusesInit(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	backup(t, r, nil, "files", "site", []item{fileItem("a", []byte("hello"), benchTime)})
	keys := st.Names("keys/")
	if err := st.Delete(ctx, "config"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, st, testOptions()); !errors.Is(err, ErrConfigMissing) {
		t.Fatalf("open without config: %v", err)
	}
	if _, _, err := OpenOrInit(ctx, st, testOptions()); !errors.Is(err, ErrConfigMissing) {
		t.Fatalf("open or init without config: %v", err)
	}
	if _, err := Init(ctx, st, testOptions()); !errors.Is(err, ErrConfigMissing) {
		t.Fatalf("init over data: %v", err)
	}
	if got := st.Names("keys/"); len(got) != len(keys) {
		t.Fatalf("keys written over the old repository: %v, was %v", got, keys)
	}
	if _, err := st.Stat(ctx, "config"); err == nil {
		t.Fatal("a new config was written")
	}
}

// rewriteIndexes replaces every index file of st with the index files
// split returns for the packs they listed (to forge what a buggy or
// concurrent writer could leave behind).
func rewriteIndexes(t *testing.T, r *Repository, st *repotest.Mem, split func([]index.Pack) [][]index.Pack) {
	t.Helper()
	ctx := context.Background()
	var all []index.Pack
	for _, name := range st.Names("index/") {
		packs, err := r.readIndex(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, packs...)
		st.Delete(ctx, name)
	}
	for _, packs := range split(all) {
		sealed := r.key.Seal(nil, index.Encode(packs), []byte(index.AAD))
		if err := putBytes(ctx, st, "index/"+randomName(), sealed, true); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDamagedIndexIsSkipped: one damaged index file is named in a warning
// and skipped; snapshots indexed elsewhere still read; the snapshot it
// indexed fails naming it; prune refuses and points to repair index.
func TestDamagedIndexIsSkipped(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	a := backup(t, r, nil, "files", "x", crashItems(1, 3))
	first := st.Names("index/")
	itemsB := crashItems(2, 3)
	b := backup(t, r, nil, "files", "x", itemsB)
	if len(first) != 1 || len(st.Names("index/")) != 2 {
		t.Fatalf("want one index per backup: %v / %v", first, st.Names("index/"))
	}
	st.Corrupt(first[0], 40)

	var warnings []string
	o := testOptions()
	o.Warn = func(m string) { warnings = append(warnings, m) }
	r2, err := Open(ctx, st, o)
	if err != nil {
		t.Fatalf("open with a damaged index: %v", err)
	}
	defer r2.Close()
	if len(warnings) != 1 || !strings.Contains(warnings[0], first[0]) || !strings.Contains(warnings[0], "repair index") {
		t.Fatalf("warnings: %q", warnings)
	}
	checkItems(t, r2, b, "files.x", itemsB)
	rep, err := r2.Check(ctx, []*Manifest{a}, nil)
	if err != nil || rep.OK() || !strings.Contains(rep.Damaged[0].Err, "damaged index") {
		t.Fatalf("check of the snapshot the damaged file indexed: %+v %v", rep, err)
	}
	if _, err := r2.Prune(ctx, false); err == nil || !strings.Contains(err.Error(), first[0]) || !strings.Contains(err.Error(), "repair index") {
		t.Fatalf("prune with a damaged index: %v", err)
	}
	if len(st.Names("index/")) != 2 {
		t.Fatal("prune changed the indexes")
	}
}

// TestPruneMergesIndexesOfOnePack: two index files that list the same pack
// with different blobs do not hide each other's entries from prune.
func TestPruneMergesIndexesOfOnePack(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	items := crashItems(1, 4)
	a := backup(t, r, nil, "files", "x", items)
	gone := backup(t, r, nil, "files", "y", crashItems(2, 2))
	rewriteIndexes(t, r, st, func(all []index.Pack) [][]index.Pack {
		var out [][]index.Pack
		for _, p := range all {
			if len(p.Blobs) < 3 {
				out = append(out, []index.Pack{p})
				continue
			}
			h := len(p.Blobs) / 2 // overlapping halves, each missing some blobs
			out = append(out, []index.Pack{{ID: p.ID, Blobs: p.Blobs[:h+1]}}, []index.Pack{{ID: p.ID, Blobs: p.Blobs[h:]}})
		}
		return out
	})
	r2 := openTestRepo(t, st)
	if err := r2.Forget(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Prune(ctx, false); err != nil {
		t.Fatal(err)
	}
	checkItems(t, openTestRepo(t, st), a, "files.x", items)
	checkAll(t, st, 1)
}

// TestPruneConfirmsAgainstPackHeader: a pack the indexes say holds only
// unused blobs is not deleted when its own header lists a blob in use.
func TestPruneConfirmsAgainstPackHeader(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	shared := crashItems(1, 2)
	others := crashItems(2, 2)
	for i := range others {
		others[i].e.Path = fmt.Sprintf("other%d", i)
	}
	old := backup(t, r, nil, "files", "x", append(others, shared...))
	b := backup(t, r, nil, "files", "x", shared) // its content is in old's pack
	hidden := map[pack.ID]bool{}
	for _, it := range shared {
		hidden[r.key.BlobID(it.data)] = true
	}
	rewriteIndexes(t, r, st, func(all []index.Pack) [][]index.Pack {
		for i, p := range all {
			var kept []pack.Blob
			for _, bl := range p.Blobs {
				if !hidden[bl.ID] {
					kept = append(kept, bl)
				}
			}
			all[i].Blobs = kept
		}
		return [][]index.Pack{all}
	})
	r2 := openTestRepo(t, st)
	if err := r2.Forget(ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Prune(ctx, false); err != nil {
		t.Fatal(err)
	}
	checkItems(t, openTestRepo(t, st), b, "files.x", shared)
}

// TestParentHidesUnindexedContent: after repair index dropped a file's
// content, the parent snapshot no longer offers that file for reuse, so an
// incremental backup reads it again instead of failing or referencing it.
func TestParentHidesUnindexedContent(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	items := crashItems(1, 2)
	parent := backup(t, r, nil, "files", "x", items)
	lost := map[pack.ID]bool{}
	for _, id := range chunkIDs(t, r, parent, items[0].e.Path) {
		lost[id] = true
	}
	rewriteIndexes(t, r, st, func(all []index.Pack) [][]index.Pack {
		for i, p := range all {
			var kept []pack.Blob
			for _, b := range p.Blobs {
				if !lost[b.ID] {
					kept = append(kept, b)
				}
			}
			all[i].Blobs = kept
		}
		return [][]index.Pack{all}
	})
	r2 := openTestRepo(t, st)
	w, err := r2.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Parent: parent})
	if err != nil {
		t.Fatal(err)
	}
	sw := w.Source("files", "x")
	if _, ok := sw.Parent(items[0].e.Path); ok {
		t.Error("a file whose content is not indexed is offered for reuse")
	}
	if _, ok := sw.Parent(items[1].e.Path); !ok {
		t.Error("an intact file is not offered for reuse")
	}
}

// chunkIDs returns the content blob ids of the file at path.
func chunkIDs(t *testing.T, r *Repository, m *Manifest, path string) []pack.ID {
	t.Helper()
	var out []pack.ID
	err := r.walkTree(context.Background(), r.newWalkGuard(m, m.Source("files.x")), m.Source("files.x").Root, false, func(p string, n node) error {
		if p == path {
			out = n.Content
		}
		return nil
	})
	if err != nil || len(out) == 0 {
		t.Fatalf("content of %s: %v %v", path, out, err)
	}
	return out
}

// TestRepairIndexAndSnapshots: a lost pack is found by CheckRepository;
// RepairIndex drops its blobs; RepairSnapshots removes the files that
// needed them (after confirming) and the repository checks clean.
func TestRepairIndexAndSnapshots(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	r.packSize = 64 << 10
	items := crashItems(5, 12)
	m := backup(t, r, nil, "files", "x", items)
	if rep, err := r.CheckRepository(ctx, CheckOptions{ReadData: true}); err != nil || !rep.OK() || rep.PacksRead < 3 {
		t.Fatalf("check of a sound repository: %+v %v", rep, err)
	}
	var victim string
	for _, name := range st.Names("data/") {
		blobs, err := r.packHeader(ctx, mustParse(t, name[strings.LastIndexByte(name, '/')+1:]), int64(len(mustGet(t, st, name))))
		if err != nil {
			t.Fatal(err)
		}
		onlyData := len(blobs) > 0
		for _, b := range blobs {
			onlyData = onlyData && b.Kind == pack.KindData
		}
		if onlyData { // the trees stay readable, so files can be kept
			victim = name
			break
		}
	}
	st.Delete(ctx, victim)
	rep, err := r.CheckRepository(ctx, CheckOptions{})
	if err != nil || rep.OK() || rep.Problems[0].Kind != "pack" {
		t.Fatalf("check after a lost pack: %+v %v", rep, err)
	}
	if _, err := r.RepairIndex(ctx, false, nil); err != nil {
		t.Fatal(err)
	}
	r2 := openTestRepo(t, st)
	asked := 0
	fixed, err := r2.RepairSnapshots(ctx, false, func(plan []SnapshotRepair) bool { asked++; return false })
	if err != nil || asked != 1 || len(fixed) != 1 || len(fixed[0].Lost) == 0 || fixed[0].NewID != "" {
		t.Fatalf("declined repair: %+v %v", fixed, err)
	}
	fixed, err = r2.RepairSnapshots(ctx, false, nil)
	if err != nil || len(fixed) != 1 || fixed[0].NewID == "" {
		t.Fatalf("repair snapshots: %+v %v", fixed, err)
	}
	if rep, err := r2.CheckRepository(ctx, CheckOptions{ReadData: true}); err != nil || !rep.OK() {
		t.Fatalf("check after repair: %+v %v", rep, err)
	}
	nm, err := openTestRepo(t, st).Snapshot(ctx, fixed[0].NewID)
	if err != nil || nm.Repaired == nil || nm.Repaired.From != m.ID || !nm.Time.Equal(m.Time) {
		t.Fatalf("repaired manifest: %+v %v", nm, err)
	}
	lost := map[string]bool{}
	for _, p := range fixed[0].Lost {
		lost[strings.TrimPrefix(p, "files.x:")] = true
	}
	var kept []item
	for _, it := range items {
		if !lost[it.e.Path] {
			kept = append(kept, it)
		}
	}
	if len(kept) == len(items) || len(kept) == 0 {
		t.Fatalf("lost %v of %d files", fixed[0].Lost, len(items))
	}
	checkItems(t, openTestRepo(t, st), nm, "files.x", kept)
}

func mustParse(t *testing.T, s string) pack.ID {
	t.Helper()
	id, err := pack.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustGet(t *testing.T, st *repotest.Mem, name string) []byte {
	t.Helper()
	b, err := getBytes(context.Background(), st, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
