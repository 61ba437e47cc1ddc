package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/faulty"
	"github.com/velinhq/velin/providers/provider"
)

// tryBackup is backup that returns errors and aborts on failure.
func tryBackup(r *Repository, items []item) (*Manifest, error) {
	ctx := context.Background()
	w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b"})
	if err != nil {
		return nil, err
	}
	sw := w.Source("files", "x")
	for _, it := range items {
		var rd io.Reader
		if it.data != nil {
			rd = bytes.NewReader(it.data)
		}
		if err := sw.Put(ctx, it.e, rd); err != nil {
			w.Abort()
			return nil, err
		}
	}
	if err := sw.Finish(ctx, testFacts("files")); err != nil {
		w.Abort()
		return nil, err
	}
	m, err := w.Commit(ctx, nil)
	if err != nil {
		w.Abort()
	}
	return m, err
}

func crashItems(seed uint64, n int) []item {
	rng := rand.New(rand.NewPCG(seed, 9))
	var items []item
	for i := range n {
		items = append(items, fileItem(fmt.Sprintf("d%d/f%02d", i%3, i), randBytes(rng, 20000+rng.IntN(40000)), time.Unix(1e9, 0)))
	}
	return items
}

func openSmallPacks(t *testing.T, st storage.Storage) *Repository {
	t.Helper()
	r := openTestRepo(t, st)
	r.packSize = 64 << 10
	return r
}

func checkAll(t *testing.T, st storage.Storage, want int) []*Manifest {
	t.Helper()
	r := openTestRepo(t, st)
	snaps, err := r.Snapshots(context.Background())
	if err != nil || len(snaps) != want {
		t.Fatalf("snapshots: %d, want %d (%v)", len(snaps), want, err)
	}
	rep, err := r.Check(context.Background(), snaps, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("check: %+v %v", rep, err)
	}
	return snaps
}

func TestCrashDuringBackupAndPrune(t *testing.T) {
	_, mem := newTestRepo(t)
	first := crashItems(1, 12)
	if _, err := tryBackup(openSmallPacks(t, mem), first); err != nil {
		t.Fatal(err)
	}
	second := crashItems(2, 12)
	crashes := 0
	for n := int64(0); ; n++ {
		_, err := tryBackup(openSmallPacks(t, crashAfter(mem, n)), second)
		if err == nil {
			break
		}
		if !errors.Is(err, faulty.ErrInjected) {
			t.Fatalf("crash after %d writes: unexpected error %v", n, err)
		}
		crashes++
		checkAll(t, mem, 1) // no partial snapshot, the first one intact
	}
	if crashes < 5 {
		t.Fatalf("only %d crash points exercised", crashes)
	}
	snaps := checkAll(t, mem, 2)
	checkItems(t, openTestRepo(t, mem), snaps[1], "files.x", second)

	// Forget the first snapshot, then crash prune at every point.
	r := openTestRepo(t, mem)
	if err := r.Forget(context.Background(), snaps[0].ID); err != nil {
		t.Fatal(err)
	}
	for n := int64(0); ; n++ {
		_, err := openSmallPacks(t, crashAfter(mem, n)).Prune(context.Background(), false)
		if err == nil {
			break
		}
		if !errors.Is(err, faulty.ErrInjected) {
			t.Fatalf("prune crash after %d writes: %v", n, err)
		}
		checkAll(t, mem, 1)
	}
	snaps = checkAll(t, mem, 1)
	checkItems(t, openTestRepo(t, mem), snaps[0], "files.x", second)
	st, err := openTestRepo(t, mem).Prune(context.Background(), true)
	if err != nil || st.PacksDeleted+st.PacksRewritten+st.OrphansDeleted+st.BlobsRemoved != 0 {
		t.Fatalf("second prune has work left: %+v %v", st, err)
	}
}

func TestPruneReclaims(t *testing.T) {
	r, mem := newTestRepo(t)
	r.packSize = 64 << 10
	a := backup(t, r, nil, "files", "x", crashItems(3, 10))
	keep := crashItems(4, 10)
	keep = append(keep, crashItems(3, 10)[:3]...) // shares blobs with a
	for i := range keep[10:] {
		keep[10+i].e.Path = fmt.Sprintf("shared%d", i)
	}
	b := backup(t, r, nil, "files", "x", keep)
	// An orphan pack from an aborted backup.
	w, _ := r.NewSnapshot(context.Background(), SnapshotMeta{})
	sw := w.Source("files", "y")
	_ = sw.Put(context.Background(), provider.Entry{Path: "o", Kind: provider.KindFile}, bytes.NewReader(randBytes(rand.New(rand.NewPCG(8, 8)), 100000)))
	_ = sw.Finish(context.Background(), testFacts("files"))
	_, _ = w.Flush(context.Background()) // durable, indexed, never committed
	before, _ := r.Stats(context.Background())

	if err := r.Forget(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	dry, err := r.Prune(context.Background(), true)
	if err != nil || dry.BlobsRemoved == 0 {
		t.Fatalf("dry run: %+v %v", dry, err)
	}
	if s, _ := r.Stats(context.Background()); s.StoredBytes != before.StoredBytes {
		t.Fatal("dry run changed the repository")
	}
	st, err := r.Prune(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := r.Stats(context.Background())
	if st.BlobsRemoved != dry.BlobsRemoved || after.StoredBytes >= before.StoredBytes {
		t.Errorf("prune %+v: stored %d → %d", st, before.StoredBytes, after.StoredBytes)
	}
	checkAll(t, mem, 1)
	checkItems(t, openTestRepo(t, mem), b, "files.x", keep)
}

// crashAfter wraps st so that the first n writes go through and every later
// one fails, like a process killed at that point.
func crashAfter(st storage.Storage, n int64) storage.Storage {
	f := faulty.New(st)
	f.CrashAfter(int(n))
	return f
}
