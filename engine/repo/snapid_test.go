package repo

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/engine/storage/faulty"
)

// flushOne writes one file as a snapshot up to Flush: its id is chosen.
func flushOne(t *testing.T, r *Repository, data string) *SnapshotWriter {
	t.Helper()
	ctx := context.Background()
	w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Plan: "p"})
	if err != nil {
		t.Fatal(err)
	}
	sw := w.Source("files", "s")
	it := fileItem("f", []byte(data), time.Now())
	if err := sw.Put(ctx, it.e, bytes.NewReader(it.data)); err != nil {
		t.Fatal(err)
	}
	if err := sw.Finish(ctx, testFacts("files")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestSnapshotIDsWithoutConditionalWrites: two hosts committing in the
// same minute to a storage that ignores IfAbsent keep both snapshots
// (their ids carry a host tag), and the ids still resolve by prefix.
func TestSnapshotIDsWithoutConditionalWrites(t *testing.T) {
	ctx := context.Background()
	f := faulty.New(repotest.NewMem())
	f.IgnoreIfAbsent()
	if _, err := Init(ctx, f, testOptions()); err != nil {
		t.Fatal(err)
	}
	var ws []*SnapshotWriter
	for _, host := range []string{"alpha", "beta"} {
		o := testOptions()
		o.Host, o.MachineID = host, host+"-machine-id"
		ws = append(ws, flushOne(t, openTestRepoWith(t, f, o), host))
	}
	var wg sync.WaitGroup
	ids := make([]string, len(ws))
	for i, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := w.Commit(ctx, nil)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = m.ID
		}()
	}
	wg.Wait()
	r := openTestRepo(t, f)
	snaps, err := r.Snapshots(ctx)
	if err != nil || len(snaps) != 2 {
		t.Fatalf("%d snapshots (%v), want both hosts'", len(snaps), err)
	}
	base := "20250304-0506-full-"
	for i, id := range ids {
		if !strings.HasPrefix(id, base) || len(id) != len(base)+8 {
			t.Errorf("id %q is not %s<8 hex>", id, base)
		}
		m, err := r.Snapshot(ctx, id[:len(id)-3]) // a unique prefix
		if err != nil || m.ID != id || m.Host != []string{"alpha", "beta"}[i] {
			t.Errorf("prefix of %s: %v %v", id, m, err)
		}
	}
	if _, err := r.Snapshot(ctx, base); !errors.Is(err, ErrAmbiguousID) {
		t.Errorf("shared prefix: %v, want ErrAmbiguousID", err)
	}
	if n, _ := r.listNames(ctx, probePrefix); len(n) != 0 {
		t.Errorf("probe objects left: %v", n)
	}
}

// TestSnapshotIDsWithConditionalWrites: a storage that honours IfAbsent
// keeps the plain ids ("-2" for the second in a minute), and is probed
// once per repository: a failed probe fails the flush and is tried again.
func TestSnapshotIDsWithConditionalWrites(t *testing.T) {
	_, st := newTestRepo(t)
	f := faulty.New(st)
	r2 := openTestRepo(t, f)
	f.FailWithPrefix(faulty.OpPut, probePrefix)
	if _, err := r2.conditionalWrites(context.Background()); !errors.Is(err, faulty.ErrInjected) {
		t.Fatalf("failed probe: %v", err)
	}
	f.Reset()
	var ids []string
	for i := range 2 {
		if i == 1 {
			f.FailWithPrefix(faulty.OpPut, probePrefix) // known by now: not probed again
		}
		m, err := flushOne(t, r2, string(rune('a'+i))).Commit(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if ids[0] != "20250304-0506-full" || ids[1] != "20250304-0506-full-2" {
		t.Fatalf("ids %v", ids)
	}
	if ok, err := r2.conditionalWrites(context.Background()); !ok || err != nil {
		t.Fatalf("conditional writes: %v %v", ok, err)
	}
}
