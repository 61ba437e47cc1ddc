package sourcetest

import (
	"context"
	"io"
	"runtime"
	"sync"
	"testing"

	"github.com/velinhq/velin/providers/provider"
)

// Fixture is fresh live data for one test and a Source over it.
type Fixture struct {
	Source provider.Source

	// Live is where the live data is: what a restore with an empty To
	// overwrites (a directory for file trees, a database file for sqlite).
	Live string

	// Dest returns the RestoreOptions.To that restores into the empty
	// directory dir, and the location the restored data then has, in the
	// form Capture's checker takes (like Live).
	Dest func(dir string) (to, restored string)

	// Mutate changes the live data in place and returns the entry paths
	// whose content it changed (they must be re-read by an incremental
	// backup and listed as "replace" by PlanRestore). It may delete entries
	// but never adds any.
	Mutate func(t testing.TB) []string

	// Capture records the live data now; the returned checker fails t
	// unless the data at a location (Live, or Dest's restored) equals it.
	Capture func(t testing.TB) func(t testing.TB, at string)

	// Spec is what Kill.Reopen needs to open the source again in a helper
	// process; "" means Live.
	Spec string
}

// Harness is what Run needs: fresh fixtures, and snapshots to back up into.
type Harness struct {
	// Setup creates fresh live data (in t.TempDir) and a source over it.
	Setup func(t testing.TB) Fixture

	// NewSnapshot starts a snapshot whose parent is parent (nil: none; else a
	// Tree an earlier finish returned). finish ends the backup and returns
	// the saved tree. Nil means in-memory snapshots (MemRepo).
	NewSnapshot func(t testing.TB, parent provider.Tree) (sink provider.Sink, finish func() provider.Tree)

	// FileTree enables the file-tree tests: unchanged files must be reused
	// by incremental backups, include globs, hostile trees. Other sources
	// run the database tests: a restore that fails half-way leaves the
	// live data as it was.
	FileTree bool

	// Asserts, for a provider.Asserter, are one assertion true of the
	// fixture's data and one false; the test restore must pass the first
	// and fail the second.
	Asserts struct{ True, False provider.Assert }

	// Kill enables the kill -9 cases (database sources over a repository
	// on disk); nil skips them.
	Kill *Kill
}

// MemRepo is the default Harness.NewSnapshot: in-memory snapshots.
func MemRepo(t testing.TB, parent provider.Tree) (provider.Sink, func() provider.Tree) {
	var p *MemTree
	if parent != nil {
		mt, ok := parent.(*MemTree)
		if !ok {
			t.Fatalf("memrepo: parent is a %T, not a *MemTree", parent)
		}
		p = mt
	}
	s := NewMemSnapshot(p)
	return s, func() provider.Tree { return s.Finish() }
}

// countingSink wraps a Sink and records which paths were stored how.
type countingSink struct {
	provider.Sink
	mu     sync.Mutex
	put    map[string]provider.Entry
	reused map[string]provider.Entry
}

func newCountingSink(s provider.Sink) *countingSink {
	return &countingSink{Sink: s, put: map[string]provider.Entry{}, reused: map[string]provider.Entry{}}
}

func (c *countingSink) Put(ctx context.Context, e provider.Entry, r io.Reader) error {
	c.mu.Lock()
	c.put[e.Path] = e
	c.mu.Unlock()
	return c.Sink.Put(ctx, e, r)
}

func (c *countingSink) Reuse(ctx context.Context, e provider.Entry) error {
	c.mu.Lock()
	c.reused[e.Path] = e
	c.mu.Unlock()
	return c.Sink.Reuse(ctx, e)
}

// backup runs one backup of fx into a new snapshot with the given parent.
func (h Harness) backup(t testing.TB, fx Fixture, parent provider.Tree, incremental bool) (provider.Tree, provider.Facts, *countingSink) {
	t.Helper()
	newSnap := h.NewSnapshot
	if newSnap == nil {
		newSnap = MemRepo
	}
	sink, finish := newSnap(t, parent)
	cs := newCountingSink(sink)
	facts, err := fx.Source.Backup(context.Background(), cs, provider.BackupOptions{Incremental: incremental})
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	return finish(), facts, cs
}

// Run runs the whole suite against the sources h sets up.
func Run(t *testing.T, h Harness) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, h) })
	t.Run("InspectMatchesBackup", func(t *testing.T) { testInspect(t, h) })
	t.Run("Incremental", func(t *testing.T) { testIncremental(t, h) })
	t.Run("PlanRestore", func(t *testing.T) { testPlanRestore(t, h) })
	t.Run("RestoreInPlace", func(t *testing.T) { testRestoreInPlace(t, h) })
	t.Run("TestRestore", func(t *testing.T) { testTestRestore(t, h) })
	t.Run("RestoreFailureLeavesLive", func(t *testing.T) {
		if h.FileTree {
			t.Skip("a file tree restores every intact file (partial restore)")
		}
		testRestoreFailure(t, h)
	})
	t.Run("Kill9", func(t *testing.T) {
		if h.Kill == nil {
			t.Skip("no Harness.Kill: the kill -9 cases run for database sources over a repository on disk")
		}
		if runtime.GOOS != "linux" {
			t.Skip("the kill -9 cases find the helper's child processes in /proc")
		}
		t.Run("MidBackup", func(t *testing.T) {
			if !helper(t, h.Kill) {
				testKillBackup(t, h)
			}
		})
		t.Run("MidRestore", func(t *testing.T) {
			if !helper(t, h.Kill) {
				testKillRestore(t, h)
			}
		})
		t.Run("MidTestRestore", func(t *testing.T) {
			if !helper(t, h.Kill) {
				testKillTestRestore(t, h)
			}
		})
		t.Run("SleepingDumpTool", func(t *testing.T) {
			if h.Kill.SleepingTool == nil {
				t.Skip("the source runs no dump tool")
			}
			if !helper(t, h.Kill) {
				testKillSleepingTool(t, h)
			}
		})
	})
	t.Run("FileTree", func(t *testing.T) {
		if !h.FileTree {
			t.Skip("not a file-tree source")
		}
		t.Run("Include", func(t *testing.T) { testInclude(t, h) })
		t.Run("HostileTrees", func(t *testing.T) { testHostile(t, h) })
	})
}
