package repo

import (
	"bytes"
	"context"
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
