package repo

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

// TestRecordVerification: a later verification replaces the record, kept
// across a reopen, with the per-check results; the rest of the manifest
// stays the same.
func TestRecordVerification(t *testing.T) {
	r, st := newTestRepo(t)
	ctx := context.Background()
	w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "db", Strategy: "full"})
	if err != nil {
		t.Fatal(err)
	}
	sw := w.Source("sqlite", "app")
	if err := sw.Put(ctx, provider.Entry{Path: "app.db", Kind: provider.KindFile, Size: 3}, bytes.NewReader([]byte("abc"))); err != nil {
		t.Fatal(err)
	}
	if err := sw.Finish(ctx, provider.Facts{Type: "sqlite", Identity: "/app.db"}); err != nil {
		t.Fatal(err)
	}
	first := &Verification{Time: time.Unix(5, 0).UTC(), Checks: []Check{{Kind: "test_restore", Source: "sqlite.app", Status: "failed"}}}
	m, err := w.Commit(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	lock, err := r.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock(ctx)
	later := &Verification{Time: time.Unix(9, 0).UTC(), Checks: []Check{{Kind: "test_restore", Source: "sqlite.app", Status: "ok",
		Results: []provider.CheckResult{{Name: "assert a", Kind: "assert", Passed: true, Detail: "returned true"}}}}}
	if _, err := r.RecordVerification(ctx, m.ID, later); err != nil {
		t.Fatal(err)
	}
	got, err := openTestRepo(t, st).Snapshot(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	v := got.Verification
	if v == nil || !v.Time.Equal(later.Time) || len(v.Checks) != 1 || v.Checks[0].Status != "ok" ||
		len(v.Checks[0].Results) != 1 || v.Checks[0].Results[0].Name != "assert a" {
		t.Fatalf("verification = %+v", v)
	}
	if got.ID != m.ID || got.Sources[0].Root != m.Sources[0].Root || got.Backup != "db" {
		t.Errorf("manifest changed: %+v", got)
	}
	if _, err := r.RecordVerification(ctx, "nosuch", later); err == nil {
		t.Error("recorded on a missing snapshot")
	}
}
