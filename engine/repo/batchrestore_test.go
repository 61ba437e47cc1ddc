package repo

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/storage/faulty"
	"github.com/velinhq/velin/providers/files"
	"github.com/velinhq/velin/providers/provider"
)

// batchRestoreItems are batchItems with an empty file and a hard link.
func batchRestoreItems() []item {
	mtime := time.Unix(1, 0)
	return append(batchItems(), fileItem("empty", []byte{}, mtime),
		item{e: provider.Entry{Path: "small/hard", Kind: provider.KindHardlink, Mode: 0o644, ModTime: mtime, Target: "a.bin"}})
}

func restoreFiles(t *testing.T, r *Repository, m *Manifest, to string) error {
	t.Helper()
	src, err := files.New([]string{"/src/s"}, nil, false, false)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := r.Tree(context.Background(), m, "files.s")
	if err != nil {
		t.Fatal(err)
	}
	return src.Restore(context.Background(), tr, provider.RestoreOptions{To: to})
}

// TestFilesRestoreBatch: a files restore through ReadBatch writes every
// file byte for byte (identical files, shared and repeated blobs, empty
// files, hard links) with their times, one read a pack.
func TestFilesRestoreBatch(t *testing.T) {
	items := batchRestoreItems()
	r, m, fsys, st := batchRepo(t, items)
	to := t.TempDir()
	before := fsys.Counts().Gets
	if err := restoreFiles(t, r, m, to); err != nil {
		t.Fatal(err)
	}
	dir := to
	for _, it := range items {
		want := it.data
		if it.e.Kind == provider.KindHardlink {
			want = items[0].data
		}
		p := filepath.Join(dir, it.e.Path)
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: restored %d bytes, want %d, equal %v: %v", it.e.Path, len(got), len(want), bytes.Equal(got, want), err)
		}
		if fi, err := os.Stat(p); err == nil && !fi.ModTime().Equal(it.e.ModTime) {
			t.Errorf("%s: modified %v, want %v", it.e.Path, fi.ModTime(), it.e.ModTime)
		}
	}
	if a, h := mustStat(t, dir, "a.bin"), mustStat(t, dir, "small/hard"); !os.SameFile(a, h) {
		t.Errorf("small/hard is not a hard link to a.bin")
	}
	// the trees are read once (then cached), the data once
	gets := fsys.Counts().Gets - before
	walks := walkGets(t, m, fsys)
	if packs := dataPacks(t, st); gets > walks+int64(packs) {
		t.Errorf("%d reads for %d packs and %d reads of trees", gets, packs, walks)
	}
	mustNoTemp(t, to)
}

// walkGets is the reads of fsys a walk of m's tree makes in a repository
// just opened (its tree cache empty).
func walkGets(t *testing.T, m *Manifest, fsys *faulty.Storage) int64 {
	t.Helper()
	r := openTestRepo(t, fsys)
	before := fsys.Counts().Gets
	readAllEntries(t, r, m)
	return fsys.Counts().Gets - before
}

func readAllEntries(t *testing.T, r *Repository, m *Manifest) {
	t.Helper()
	tr, err := r.Tree(context.Background(), m, "files.s")
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Walk(context.Background(), func(provider.Entry) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

// TestFilesRestoreBatchFails: a pack read cut off mid-way fails the
// restore, which leaves no temporary file, and no file that is not
// whole.
func TestFilesRestoreBatchFails(t *testing.T) {
	items := batchRestoreItems()
	r, m, fsys, _ := batchRepo(t, items)
	to := t.TempDir()
	fsys.CutGets("data/", 1<<20)
	err := restoreFiles(t, r, m, to)
	if !errors.Is(err, faulty.ErrInjected) {
		t.Fatalf("restore with a read cut off: %v, want the injected error", err)
	}
	mustNoTemp(t, to)
	for _, it := range items {
		got, err := os.ReadFile(filepath.Join(to, it.e.Path))
		if err == nil && it.e.Kind == provider.KindFile && !bytes.Equal(got, it.data) {
			t.Errorf("%s: left with %d bytes of %d", it.e.Path, len(got), len(it.data))
		}
	}
}

func mustStat(t *testing.T, dir, p string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, p))
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

// mustNoTemp fails when a temporary file of a restore is under dir.
func mustNoTemp(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".velin-") {
			t.Errorf("temporary file left: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
