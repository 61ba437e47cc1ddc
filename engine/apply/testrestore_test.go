package apply

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/storage/local"
	"github.com/velinhq/velin/engine/workspace"
	"github.com/velinhq/velin/providers/provider"
)

// fakeDB is a database-like source: its test restore runs each assertion
// (passing when its SQL is "true", skipping one named "skipped") and it
// cleans leftovers. calls records what the engine asked, in order.
type fakeDB struct {
	calls    []string
	leftover []string
	bytes    int64 // what the test restore counts
	fail     error
	scratch  string
	started  chan struct{} // when set: closed on start, then the restore waits for ctx
}

func (*fakeDB) Inspect(context.Context) (provider.Facts, error) { return provider.Facts{}, nil }
func (*fakeDB) Backup(context.Context, provider.Sink, provider.BackupOptions) (provider.Facts, error) {
	return provider.Facts{}, nil
}
func (*fakeDB) PlanRestore(context.Context, provider.Tree, provider.RestoreOptions) ([]provider.Change, error) {
	return nil, nil
}
func (*fakeDB) Restore(context.Context, provider.Tree, provider.RestoreOptions) error { return nil }

func (f *fakeDB) CleanLeftovers(context.Context) ([]string, error) {
	f.calls = append(f.calls, "clean")
	out := f.leftover
	f.leftover = nil
	return out, nil
}

func (f *fakeDB) TestRestore(ctx context.Context, _ provider.Tree, opts provider.TestRestoreOptions) (provider.TestReport, error) {
	f.calls = append(f.calls, "restore")
	f.scratch = opts.Scratch
	if _, err := os.Stat(opts.Scratch); err != nil {
		return provider.TestReport{}, fmt.Errorf("no scratch directory: %w", err)
	}
	if f.started != nil {
		close(f.started)
		<-ctx.Done()
		return provider.TestReport{}, fmt.Errorf("test restore fake: %w", ctx.Err())
	}
	if f.fail != nil {
		return provider.TestReport{}, f.fail
	}
	rep := provider.TestReport{Counts: provider.Counts{Files: 1, Bytes: f.bytes}}
	for _, a := range opts.Asserts {
		if a.Name != "skipped" {
			rep.Checks = append(rep.Checks, provider.CheckResult{Name: "assert " + a.Name, Kind: "assert", Passed: a.SQL == "true", Detail: "returned " + a.SQL})
		}
	}
	return rep, nil
}

// testRestoreFixture is a repository holding one snapshot of a fakeDB
// source ("fake.db", one 3-byte file) and a workspace that recovers the
// source as db.
func testRestoreFixture(t *testing.T, db *fakeDB) (*workspace.Workspace, *repo.Repository, *repo.Manifest) {
	t.Helper()
	ctx := context.Background()
	st, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Init(ctx, st, repo.Options{Passphrase: "testrestore-passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	w, err := r.NewSnapshot(ctx, repo.SnapshotMeta{Backup: "db", Strategy: "full"})
	if err != nil {
		t.Fatal(err)
	}
	sw := w.Source("fake", "db")
	if err := sw.Put(ctx, provider.Entry{Path: "x", Kind: provider.KindFile, Size: 3}, bytes.NewReader([]byte("abc"))); err != nil {
		t.Fatal(err)
	}
	if err := sw.Finish(ctx, provider.Facts{Type: "fake", Identity: "db"}); err != nil {
		t.Fatal(err)
	}
	m, err := w.Commit(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := &provider.Registry{Sources: []provider.SourceType{{Name: "fake", Recover: func(string) (provider.Source, error) { return db, nil }}}}
	ws, err := workspace.OpenRepository(t.TempDir(), "", workspace.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	return ws, r, m
}

// TestTestRestoreChecks: leftovers are cleaned before the restore and
// reported; every check is recorded; a failed assertion, an assertion the
// source did not run and a count that differs from the manifest are each
// an ErrAssertion; a restore that fails is not.
func TestTestRestoreChecks(t *testing.T) {
	cases := []struct {
		name      string
		sql       string
		assert    string
		bytes     int64
		fail      error
		assertion bool   // the error is an ErrAssertion
		failed    string // the check that failed
	}{
		{name: "passes", sql: "true", assert: "a", bytes: 3},
		{name: "assertion fails", sql: "false", assert: "a", bytes: 3, assertion: true, failed: "assert a"},
		{name: "assertion not run", sql: "true", assert: "skipped", bytes: 3, assertion: true, failed: "assert skipped"},
		{name: "counts differ", sql: "true", assert: "a", bytes: 4, assertion: true, failed: "counts"},
		{name: "restore fails", sql: "true", assert: "a", fail: errors.New("boom")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := &fakeDB{leftover: []string{"velin_verify_old"}, bytes: tc.bytes, fail: tc.fail}
			ws, r, m := testRestoreFixture(t, db)
			var notes []string
			root := t.TempDir()
			v := &repo.Verification{}
			opts := TestRestoreOptions{Asserts: map[string][]provider.Assert{"fake.db": {{Name: tc.assert, SQL: tc.sql}}},
				ScratchRoot: root, Note: func(s string) { notes = append(notes, s) }}
			err := TestRestore(context.Background(), ws, r, m, v, opts)
			if strings.Join(db.calls, ",") != "clean,restore" {
				t.Errorf("calls = %v, want the leftovers cleaned before the restore", db.calls)
			}
			if len(notes) != 1 || !strings.Contains(notes[0], "velin_verify_old") {
				t.Errorf("notes = %q", notes)
			}
			if len(v.Checks) != 1 || strings.Join(v.Checks[0].Leftovers, ",") != "velin_verify_old" {
				t.Fatalf("checks = %+v", v.Checks)
			}
			if !strings.HasPrefix(filepath.Base(db.scratch), fmt.Sprintf("velin-test-restore-%d-", os.Getpid())) || filepath.Dir(db.scratch) != root {
				t.Errorf("scratch %s: not under %s with a recognisable name", db.scratch, root)
			}
			if _, err := os.Stat(db.scratch); !os.IsNotExist(err) {
				t.Errorf("scratch directory left: %v", err)
			}
			c := v.Checks[0]
			switch {
			case tc.fail == nil && tc.failed == "":
				if err != nil || c.Status != "ok" || len(c.Results) != 2 || !c.Results[0].Passed || !c.Results[1].Passed {
					t.Errorf("err %v, check %+v", err, c)
				}
			case tc.fail != nil:
				if err == nil || errors.Is(err, provider.ErrAssertion) || c.Status != "failed" {
					t.Errorf("a failed restore: err %v, check %+v", err, c)
				}
			default:
				if !errors.Is(err, provider.ErrAssertion) || c.Status != "failed" || !resultFailed(c, tc.failed) {
					t.Errorf("err %v, check %+v: want %s failed", err, c, tc.failed)
				}
			}
			if got := errors.Is(err, provider.ErrAssertion); got != tc.assertion {
				t.Errorf("ErrAssertion %v, want %v (%v)", got, tc.assertion, err)
			}
		})
	}
}

// TestTestRestoreCancelled: Ctrl-C during a test restore removes the
// scratch directory and is a cancellation, not a failed assertion.
func TestTestRestoreCancelled(t *testing.T) {
	db := &fakeDB{bytes: 3, started: make(chan struct{})}
	ws, r, m := testRestoreFixture(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-db.started; cancel() }()
	v := &repo.Verification{}
	err := TestRestore(ctx, ws, r, m, v, TestRestoreOptions{ScratchRoot: t.TempDir()})
	if !errors.Is(err, context.Canceled) || errors.Is(err, provider.ErrAssertion) {
		t.Errorf("err = %v, want a cancellation", err)
	}
	if _, err := os.Stat(db.scratch); !os.IsNotExist(err) {
		t.Errorf("scratch directory left after Ctrl-C: %v", err)
	}
	if len(v.Checks) != 1 || v.Checks[0].Status != "failed" {
		t.Errorf("checks = %+v", v.Checks)
	}
}

func resultFailed(c repo.Check, name string) bool {
	for _, r := range c.Results {
		if r.Name == name {
			return !r.Passed
		}
	}
	return false
}

// TestFailuresIs: several failures are an ErrAssertion only when each is;
// a cancellation among them stays visible.
func TestFailuresIs(t *testing.T) {
	a := fmt.Errorf("x: %w", provider.ErrAssertion)
	if !errors.Is(fmt.Errorf("w: %w", failures{a, a}), provider.ErrAssertion) {
		t.Error("all assertions: not an ErrAssertion")
	}
	mixed := failures{a, errors.New("damaged")}
	if errors.Is(mixed, provider.ErrAssertion) {
		t.Error("a damaged source among assertions counts as an assertion")
	}
	if !errors.Is(failures{a, context.Canceled}, context.Canceled) {
		t.Error("a cancellation is hidden")
	}
}

// TestRemoveStaleScratch: only old scratch directories of processes that
// are gone are removed (and those of older velin, without a pid).
func TestRemoveStaleScratch(t *testing.T) {
	root := t.TempDir()
	now := time.Now()
	old := now.Add(-2 * LeftoverAge)
	dirs := map[string]bool{ // name → removed
		"velin-test-restore-999999999-1":                    true,  // old, process gone
		"velin-test-restore-12345678":                       true,  // old, written by a velin without the pid
		"velin-test-restore-999999998-2":                    false, // young
		fmt.Sprintf("velin-test-restore-%d-3", os.Getpid()): false, // ours
		"velin-test-restore-1-4":                            false, // pid 1 lives
		"other-999999999-5":                                 false, // not ours
	}
	for name, removed := range dirs {
		if err := os.Mkdir(filepath.Join(root, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if removed || name != "velin-test-restore-999999998-2" {
			if err := os.Chtimes(filepath.Join(root, name), old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := RemoveStaleScratch(root, now)
	if len(got) != 2 {
		t.Errorf("removed %v", got)
	}
	for name, removed := range dirs {
		_, err := os.Stat(filepath.Join(root, name))
		if gone := os.IsNotExist(err); gone != removed {
			t.Errorf("%s: removed %v, want %v", name, gone, removed)
		}
	}
}
