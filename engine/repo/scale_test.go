//go:build !race

package repo

// This file holds tests at the scale users have, too slow under the race
// detector: `make unit` runs them in a second, race-free pass.

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/storage/local"
	"github.com/velinhq/velin/internal/peakrss"
	"github.com/velinhq/velin/providers/provider"
)

// TestLargeDirectory backs up a directory of 300,000 entries with the real
// limits (its tree is split into parts), restores every entry, and
// checks and prunes it (which walk it a part at a time).
func TestLargeDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("300,000 entries")
	}
	r, _ := newTestRepo(t)
	const n = 300_000
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	items := make([]item, 0, n+1)
	items = append(items, item{e: provider.Entry{Path: "d", Kind: provider.KindDir, Mode: 0o755 | 1<<31, ModTime: mtime}})
	for i := range n {
		items = append(items, item{e: provider.Entry{Path: fmt.Sprintf("d/upload-%07d-with-a-long-name.jpg", i),
			Kind: provider.KindFile, Mode: 0o644, ModTime: mtime, UID: 33, GID: 33, Inode: uint64(i + 10), Device: 7, ChangeTime: mtime}})
	}
	items = append(items, fileItem("d/zz-last", []byte("last file"), mtime))
	m := backup(t, r, nil, "files", "big", items)
	tb, err := r.readTree(context.Background(), mustRootSubtree(t, r, m))
	if err != nil || len(tb.meta) < 2 {
		t.Fatalf("the directory was not split into parts: %d parts, %v", len(tb.meta), err)
	}
	entries, data := readAll(t, r, m, "files.big")
	if len(entries) != n+2 || string(data["d/zz-last"]) != "last file" {
		t.Fatalf("restored %d entries, want %d", len(entries), n+2)
	}
	rep, err := r.Check(context.Background(), []*Manifest{m}, nil)
	if err != nil || len(rep.Damaged) != 0 || rep.Files != n+1 {
		t.Fatalf("check: %v %+v", err, rep)
	}
	repo, err := r.CheckRepository(context.Background(), CheckOptions{})
	if err != nil || !repo.OK() {
		t.Fatalf("check repository: %v %+v", err, repo)
	}
	if ps, err := r.Prune(context.Background(), false); err != nil || ps.PacksDeleted+ps.BlobsRemoved+ps.PacksMarked != 0 {
		t.Fatalf("prune: %v %+v", err, ps)
	}
}

// BenchmarkDirectoryMillion backs up one directory of 1,000,000 empty
// files into a local repository, walks it back and backs it up again
// incrementally (Parent and Reuse for every file), reporting each phase's
// peak RSS (VmHWM, reset between the phases) and time: the figure docs/performance.md gives
// for issue 7's 200 MB target. Run: go test -run '^$' -bench
// DirectoryMillion -benchtime 1x ./engine/repo/
func BenchmarkDirectoryMillion(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for range b.N {
		st, err := local.New(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		r, err := Init(ctx, st, testOptions())
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		start := time.Now()
		w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Plan: "p"})
		if err != nil {
			b.Fatal(err)
		}
		sw := w.Source("files", "big")
		for i := range n {
			e := provider.Entry{Path: fmt.Sprintf("d/upload-%07d.jpg", i), Kind: provider.KindFile, Mode: 0o644,
				ModTime: mtime, UID: 33, GID: 33, Inode: uint64(i + 10), Device: 7, ChangeTime: mtime}
			if err := sw.Put(ctx, e, nil); err != nil {
				b.Fatal(err)
			}
		}
		if err := sw.Finish(ctx, provider.Facts{Type: "files", Identity: "/src"}); err != nil {
			b.Fatal(err)
		}
		m, err := w.Commit(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(peakrss.MB(), "backup-peak-MB")
		b.ReportMetric(time.Since(start).Seconds(), "backup-s")
		peakrss.Reset()
		start = time.Now()
		tr, err := r.Tree(ctx, m, "files.big")
		if err != nil {
			b.Fatal(err)
		}
		seen := 0
		if err := tr.Walk(ctx, func(provider.Entry) error { seen++; return nil }); err != nil || seen != n+1 {
			b.Fatalf("walked %d entries: %v", seen, err)
		}
		b.ReportMetric(peakrss.MB(), "walk-peak-MB")
		b.ReportMetric(time.Since(start).Seconds(), "walk-s")
		peakrss.Reset()
		start = time.Now()
		benchSecondBackup(b, r, m, n)
		b.ReportMetric(peakrss.MB(), "second-peak-MB")
		b.ReportMetric(time.Since(start).Seconds(), "second-s")
	}
}

// benchSecondBackup backs up BenchmarkDirectoryMillion's directory again
// with m as parent, as the files source does for unchanged files.
func benchSecondBackup(b *testing.B, r *Repository, parent *Manifest, n int) {
	ctx := context.Background()
	w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Plan: "p", Parent: parent})
	if err != nil {
		b.Fatal(err)
	}
	sw := w.Source("files", "big")
	for i := range n {
		path := fmt.Sprintf("d/upload-%07d.jpg", i)
		e, ok := sw.Parent(path)
		if !ok {
			b.Fatalf("no parent entry for %s", path)
		}
		if err := sw.Reuse(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Finish(ctx, provider.Facts{Type: "files", Identity: "/src"}); err != nil {
		b.Fatal(err)
	}
	m, err := w.Commit(ctx, nil)
	if err != nil || m.Stats.FilesUnmodified != int64(n) {
		b.Fatalf("second backup: %v, %d unmodified", err, m.Stats.FilesUnmodified)
	}
}

// TestParentIndexSize: the parent index of an incremental backup holds a
// directory's entries in 24 bytes each in memory once its records are
// spilled (as they are past 4 MiB), about 60 while they fit in memory (it
// held compact nodes in a map: about 230 bytes each; before that the
// parent's whole nodes: about 420, 0.4 GB for 1,000,000 entries).
func TestParentIndexSize(t *testing.T) {
	const n = 100_000
	r, _ := newTestRepo(t)
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	items := make([]item, 0, n)
	for i := range n {
		items = append(items, item{e: provider.Entry{Path: fmt.Sprintf("d/upload-%07d-with-a-long-name.jpg", i),
			Kind: provider.KindFile, Mode: 0o644, ModTime: mtime, UID: 33, GID: 33, Inode: uint64(i + 10), Device: 7, ChangeTime: mtime}})
	}
	m := backup(t, r, nil, "files", "big", items)
	parentIndexBytes(t, r, m, 0, items[0].e.Path) // fills the tree cache (bounded, not the index's)
	for _, c := range []struct{ mem, most int64 }{{parentMemBytes, 70}, {0, 30}} {
		perEntry := parentIndexBytes(t, r, m, int(c.mem), items[0].e.Path) / n
		t.Logf("parent index, %d bytes of records in memory at most: %d bytes per entry", c.mem, perEntry)
		if perEntry > c.most {
			t.Errorf("parent index: %d bytes per entry, want at most %d", perEntry, c.most)
		}
	}
}

// parentIndexBytes is the heap that loading m's parent index takes.
func parentIndexBytes(t *testing.T, r *Repository, m *Manifest, mem int, path string) int64 {
	w, err := r.NewSnapshot(context.Background(), SnapshotMeta{Backup: "b", Plan: "p", Parent: m})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	sw := w.Source("files", "big")
	sw.parentMem = mem
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, ok := sw.Parent(path); !ok {
		t.Fatal("no parent entry")
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(sw)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}
