package repo

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/faulty"
)

// commitOne backs up one file as a snapshot and commits it.
func commitOne(ctx context.Context, r *Repository, data string) (*Manifest, error) {
	w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Plan: "p"})
	if err != nil {
		return nil, err
	}
	defer w.Abort()
	sw := w.Source("files", "s")
	it := fileItem("f", []byte(data), time.Now())
	if err := sw.Put(ctx, it.e, bytes.NewReader(it.data)); err != nil {
		return nil, err
	}
	if err := sw.Finish(ctx, testFacts("files")); err != nil {
		return nil, err
	}
	return w.Commit(ctx, nil)
}

// locatedAt renames a storage's location, as another endpoint would.
type locatedAt struct {
	storage.Storage
	loc string
}

func (l locatedAt) Location() string { return l.loc }

// TestConditionalProbeRemembered: with a local cache, the conditional-write
// probe's answer is remembered, so the next run on the same storage sends
// no probe; another location, or an answer older than condMemoAge, is
// probed again. A commit on a storage known to honour IfAbsent stats no
// snapshot name before its conditional write.
func TestConditionalProbeRemembered(t *testing.T) {
	ctx := context.Background()
	f := faulty.New(repotest.NewMem())
	if _, err := Init(ctx, f, testOptions()); err != nil {
		t.Fatal(err)
	}
	o := testOptions()
	o.CacheDir = t.TempDir()
	if _, err := commitOne(ctx, openTestRepoWith(t, f, o), "one"); err != nil {
		t.Fatal(err) // probes, and remembers the answer
	}
	f.FailWithPrefix(faulty.OpPut, probePrefix) // a probe from now on fails the commit
	stats := f.Counts().Stats
	m, err := commitOne(ctx, openTestRepoWith(t, f, o), "two")
	if err != nil {
		t.Fatalf("second run probed again: %v", err)
	}
	if m.ID != "20250304-0506-full-2" {
		t.Errorf("id %q, want the next suffix without a host tag", m.ID)
	}
	if n := f.Counts().Stats - stats; n != 0 {
		t.Errorf("the commit stat'ed %d names, want none (IfAbsent decides)", n)
	}
	if _, err := commitOne(ctx, openTestRepoWith(t, locatedAt{f, "elsewhere"}, o), "three"); err == nil {
		t.Error("another location used the remembered answer, want a probe")
	}
	later := o
	later.Clock = func() time.Time { return o.Clock().Add(condMemoAge + time.Hour) }
	if _, err := commitOne(ctx, openTestRepoWith(t, f, later), "four"); err == nil {
		t.Error("an answer older than condMemoAge was used, want a probe")
	}
}

// TestRecentSnapshotListing: Latest reuses the listing of snapshots/ made
// moments ago by the same Repository, lists again once a lock is taken
// (and then sees a snapshot another process committed meanwhile), and
// once the listing is older than recentListingAge; Snapshots always lists.
func TestRecentSnapshotListing(t *testing.T) {
	ctx := context.Background()
	f := faulty.New(repotest.NewMem())
	if _, err := Init(ctx, f, testOptions()); err != nil {
		t.Fatal(err)
	}
	var offset atomic.Int64
	o := testOptions()
	base := o.Clock()
	o.Clock = func() time.Time { return base.Add(time.Duration(offset.Load())) }
	r := openTestRepoWith(t, f, o)
	lists := func(what string, fn func() (*Manifest, error)) *Manifest {
		t.Helper()
		before := f.Counts().Lists
		m, err := fn()
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Counts().Lists - before; (got > 0) != strings.HasPrefix(what, "lists") {
			t.Errorf("%s: %d listings", what, got)
		}
		return m
	}
	latest := func() (*Manifest, error) { return r.Latest(ctx, "b", "") }
	lists("lists: first lookup", latest)
	lists("reuses: second lookup", latest)
	if _, err := commitOne(ctx, openTestRepo(t, f), "other process"); err != nil {
		t.Fatal(err)
	}
	lists("reuses: before the lock", latest)
	lock, err := r.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock(ctx)
	if m := lists("lists: after the lock", latest); m == nil {
		t.Error("after the lock the other process's snapshot is not seen")
	}
	lists("reuses: under the lock", latest)
	offset.Store(int64(recentListingAge + time.Second))
	lists("lists: an old listing", latest)
	lists("lists: Snapshots", func() (*Manifest, error) { _, err := r.Snapshots(ctx); return nil, err })
}
