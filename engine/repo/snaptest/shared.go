package snaptest

import (
	"context"
	"testing"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/storage/local"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

// Shared opens the repository in dir, creating it when dir holds none, for
// the suite's kill -9 cases: the test and the helper process it kills open
// the same directory in turn. Snapshots are committed as Snapshots' are.
func Shared(tb testing.TB, dir string) sourcetest.SharedRepo {
	ctx := context.Background()
	st, err := local.New(dir)
	if err != nil {
		tb.Fatal(err)
	}
	r, _, err := repo.OpenOrInit(ctx, st, repo.Options{Passphrase: "snaptest-passphrase"})
	if err != nil {
		tb.Fatal(err)
	}
	return sourcetest.SharedRepo{
		NewSnapshot: snapshotsOf(r),
		Count: func(t testing.TB) int {
			snaps, err := r.Snapshots(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return len(snaps)
		},
		Latest: func(t testing.TB) provider.Tree {
			m, err := r.Latest(ctx, "suite", "suite.src")
			if err != nil || m == nil {
				t.Fatalf("snaptest: latest snapshot: %v (%v)", m, err)
			}
			tree, err := r.Tree(ctx, m, "suite.src")
			if err != nil {
				t.Fatal(err)
			}
			return tree
		},
		Close: func() { r.Close() },
	}
}
