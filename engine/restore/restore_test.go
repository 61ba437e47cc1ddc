package restore

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/providers/provider"
)

// fakeSource records restores; it fails when err is set.
type fakeSource struct {
	provider.Source
	filters  bool
	err      error
	restored int
}

func (f *fakeSource) CanFilter() bool { return f.filters }

func (f *fakeSource) PlanRestore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) ([]provider.Change, error) {
	return []provider.Change{{Action: "replace", What: "x"}, {Action: "unchanged", What: "y"}}, nil
}

func (f *fakeSource) Restore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) error {
	f.restored++
	return f.err
}

// snapshot commits a snapshot of one empty-file entry per key.
func snapshot(t *testing.T, keys ...[2]string) (*repo.Repository, *repo.Manifest) {
	t.Helper()
	ctx := context.Background()
	r, err := repo.Init(ctx, repotest.NewMem(), repo.Options{Passphrase: "restore-test-passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	w, err := r.NewSnapshot(ctx, repo.SnapshotMeta{Backup: "b", Strategy: "full"})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		sw := w.Source(k[0], k[1])
		if err := sw.Put(ctx, provider.Entry{Path: "f", Kind: provider.KindFile, Mode: 0o644}, nil); err != nil {
			t.Fatal(err)
		}
		if err := sw.Finish(ctx, provider.Facts{Type: k[0], Files: 1}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := w.Commit(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r, m
}

func TestSelectExactlyTheNamedSources(t *testing.T) {
	_, m := snapshot(t, [2]string{"sqlite", "app"}, [2]string{"files", "data"}, [2]string{"files", "etc"})
	impls := map[string]provider.Source{}
	impl := func(key string) (provider.Source, error) {
		impls[key] = &fakeSource{}
		return impls[key], nil
	}
	got, err := Select(m, []string{"files.data"}, impl)
	if err != nil || len(got) != 1 || got[0].Key != "files.data" {
		t.Fatalf("Select files.data = %+v, %v", got, err)
	}
	got, err = Select(m, []string{"source.sqlite.app", "files.data", "files.data"}, impl)
	if err != nil || len(got) != 2 || got[0].Key != "files.data" || got[1].Key != "sqlite.app" {
		t.Fatalf("Select two = %+v, %v", got, err)
	}
	if got, _ := Select(m, nil, impl); len(got) != 3 {
		t.Fatalf("Select all = %+v", got)
	}
	_, err = Select(m, []string{"files.nope"}, impl)
	if err == nil || !strings.Contains(err.Error(), "files.nope") || !strings.Contains(err.Error(), "sqlite.app") {
		t.Fatalf("unknown source: %v", err)
	}
}

func TestIncludeNeverTouchesASourceThatCannotFilter(t *testing.T) {
	r, m := snapshot(t, [2]string{"files", "data"}, [2]string{"sqlite", "app"})
	files, db := &fakeSource{filters: true}, &fakeSource{}
	req := Request{Repo: r, Snapshot: m, Include: []string{"*.html"},
		Sources: []Source{{Key: "files.data", Impl: files}, {Key: "sqlite.app", Impl: db}}}
	p, err := Prepare(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if p.Sources[1].Skipped == "" || p.Overwrites() != 1 {
		t.Fatalf("plan: %+v %+v", p.Sources[0], p.Sources[1])
	}
	res, err := Execute(context.Background(), p, Options{})
	if err != nil || res.Err() != nil {
		t.Fatal(err, res.Err())
	}
	if files.restored != 1 || db.restored != 0 {
		t.Fatalf("restored files %d, db %d", files.restored, db.restored)
	}
	req.Named = true
	if _, err := Prepare(context.Background(), req); err == nil {
		t.Fatal("--include on a named database source must be refused")
	}
	req.Named, req.Sources = false, req.Sources[1:]
	if _, err := Prepare(context.Background(), req); err == nil {
		t.Fatal("--include with no file tree to filter must be refused, not restore nothing")
	}
}

func TestOneFailingSourceDoesNotStopTheOthers(t *testing.T) {
	r, m := snapshot(t, [2]string{"files", "data"}, [2]string{"sqlite", "app"})
	db := &fakeSource{err: errors.New("blob damaged")}
	files := &fakeSource{filters: true}
	p, err := Prepare(context.Background(), Request{Repo: r, Snapshot: m,
		Sources: []Source{{Key: "sqlite.app", Impl: db}, {Key: "files.data", Impl: files}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Execute(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if files.restored != 1 || res.Sources[0].Status != StatusFailed || res.Sources[1].Status != StatusRestored {
		t.Fatalf("result %+v %+v", res.Sources[0], res.Sources[1])
	}
	if !errors.Is(res.Err(), provider.ErrPartial) {
		t.Fatalf("one source of two failed: %v, want partial", res.Err())
	}
	files.err = errors.New("disk full")
	res, _ = Execute(context.Background(), p, Options{})
	if err := res.Err(); err == nil || errors.Is(err, provider.ErrPartial) {
		t.Fatalf("every source failed: %v, want a plain error", err)
	}
}

// globalsSource is a source that can create its snapshot's globals.
type globalsSource struct{ fakeSource }

func (*globalsSource) CanRestoreGlobals() bool { return true }

func TestGlobalsWithoutAPostgresSourceIsRefused(t *testing.T) {
	r, m := snapshot(t, [2]string{"files", "data"}, [2]string{"postgres", "app"})
	files := &fakeSource{filters: true}
	req := Request{Repo: r, Snapshot: m, Globals: true, Sources: []Source{{Key: "files.data", Impl: files}}}
	_, err := Prepare(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "--globals") || !strings.Contains(err.Error(), "files.data") {
		t.Fatalf("--globals over files.data only: %v, want a refusal naming --globals and files.data", err)
	}
	req.Sources = append(req.Sources, Source{Key: "postgres.app", Impl: &globalsSource{}})
	if _, err := Prepare(context.Background(), req); err != nil {
		t.Fatalf("--globals with a postgres source: %v", err)
	}
}
