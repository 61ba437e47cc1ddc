package repo

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

// TestBackupStats: files are counted new, changed or unmodified against the
// parent, or for a full backup against Previous; reused files count as
// unmodified and their bytes as done without being read.
func TestBackupStats(t *testing.T) {
	r, _ := newTestRepo(t)
	ctx := context.Background()
	mt := time.Unix(1_700_000_000, 0)
	first := backup(t, r, nil, "files", "site", []item{
		fileItem("a", []byte("alpha"), mt), fileItem("b", []byte("beta"), mt), fileItem("c", []byte("gamma"), mt)})
	if s := first.Stats; s == nil || s.FilesNew != 3 || s.FilesChanged != 0 || s.FilesUnmodified != 0 || s.BytesRead != 14 {
		t.Fatalf("first: %+v", first.Stats)
	}

	// A full backup compared with the first: a same, b changed, d new.
	w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Plan: "p", Previous: first})
	if err != nil {
		t.Fatal(err)
	}
	sw := w.Source("files", "site")
	if _, ok := sw.Parent("a"); ok {
		t.Fatal("a full backup must not offer parent entries for reuse")
	}
	for _, it := range []item{fileItem("a", []byte("alpha"), mt), fileItem("b", []byte("BETA!"), mt), fileItem("d", []byte("delta"), mt)} {
		if err := sw.Put(ctx, it.e, bytes.NewReader(it.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Reuse(ctx, fileItem("c", nil, mt).e); err == nil {
		t.Fatal("Reuse in a full backup must fail")
	}
	if err := sw.Finish(ctx, testFacts("files")); err != nil {
		t.Fatal(err)
	}
	full, err := w.Commit(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := full.Stats; s.FilesNew != 1 || s.FilesChanged != 1 || s.FilesUnmodified != 1 || full.Strategy != "full" || full.Parent != "" {
		t.Fatalf("full: %+v %s %q", s, full.Strategy, full.Parent)
	}

	// An incremental reusing a and b from its parent.
	w, err = r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Plan: "p", Parent: full})
	if err != nil {
		t.Fatal(err)
	}
	sw = w.Source("files", "site")
	for _, p := range []string{"a", "b"} {
		pe, ok := sw.Parent(p)
		if !ok {
			t.Fatalf("parent lacks %s", p)
		}
		if err := sw.Reuse(ctx, provider.Entry{Path: p, Kind: provider.KindFile, Mode: pe.Mode, ModTime: pe.ModTime, Size: pe.Size}); err != nil {
			t.Fatal(err)
		}
	}
	if p := w.Progress(); p.Files != 2 || p.BytesRead != 0 || p.BytesReused != 10 {
		t.Errorf("progress after reuse: %+v", p)
	}
	if err := sw.Finish(ctx, testFacts("files")); err != nil {
		t.Fatal(err)
	}
	inc, err := w.Commit(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := inc.Stats; s.FilesNew != 0 || s.FilesChanged != 0 || s.FilesUnmodified != 2 || s.BytesRead != 0 || s.BytesAdded == 0 {
		t.Fatalf("incremental: %+v", s)
	}
}
