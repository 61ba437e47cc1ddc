package snaptest

import (
	"context"
	"sync"
	"testing"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/storage/local"
	"github.com/velinhq/velin/providers/provider"
)

// NewSnapshotFunc is the shape of sourcetest.Harness.NewSnapshot.
type NewSnapshotFunc = func(t testing.TB, parent provider.Tree) (provider.Sink, func() provider.Tree)

// Snapshots returns a NewSnapshot function backed by a fresh encrypted
// repository in a temporary directory of tb. Each finish commits a real
// snapshot and returns its tree, read back from storage.
func Snapshots(tb testing.TB) NewSnapshotFunc {
	ctx := context.Background()
	st, err := local.New(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	r, err := repo.Init(ctx, st, repo.Options{Passphrase: "snaptest-passphrase"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close() })
	return snapshotsOf(r)
}

// snapshotsOf is a NewSnapshot function committing snapshots to r.
func snapshotsOf(r *repo.Repository) NewSnapshotFunc {
	ctx := context.Background()
	var mu sync.Mutex
	manifests := map[provider.Tree]*repo.Manifest{}
	return func(t testing.TB, parent provider.Tree) (provider.Sink, func() provider.Tree) {
		mu.Lock()
		pm := manifests[parent]
		mu.Unlock()
		if parent != nil && pm == nil {
			t.Fatalf("snaptest: parent tree %T was not made by this repository", parent)
		}
		strategy := "full"
		if pm != nil {
			strategy = "incremental"
		}
		w, err := r.NewSnapshot(ctx, repo.SnapshotMeta{Backup: "suite", Strategy: strategy, Parent: pm})
		if err != nil {
			t.Fatal(err)
		}
		sw := w.Source("suite", "src")
		return sw, func() provider.Tree {
			if err := sw.Finish(ctx, provider.Facts{Type: "suite"}); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			m, err := w.Commit(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			tree, err := r.Tree(ctx, m, "suite.src")
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			manifests[tree] = m
			mu.Unlock()
			return tree
		}
	}
}
