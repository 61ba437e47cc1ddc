package repo

import (
	"context"
	"testing"
)

// TestLatestAndFingerprint: Latest picks the newest snapshot of a backup
// that holds the source asked for; Fingerprint changes when a snapshot is
// added and only then.
func TestLatestAndFingerprint(t *testing.T) {
	ctx := context.Background()
	r, _ := newTestRepo(t)
	fp0, err := r.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a := backup(t, r, nil, "files", "a", nil)
	fp1, _ := r.Fingerprint(ctx)
	b := backup(t, r, nil, "files", "b", nil)
	fp2, _ := r.Fingerprint(ctx)
	if again, _ := r.Fingerprint(ctx); fp0 == fp1 || fp1 == fp2 || again != fp2 {
		t.Errorf("fingerprints %s, %s, %s (again %s): want three different, the last stable", fp0, fp1, fp2, again)
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil || len(snaps) != 2 {
		t.Fatalf("snapshots: %v, %v", snaps, err)
	}
	newest := snaps[1]
	for _, tt := range []struct {
		backup, key string
		want        *Manifest
	}{
		{"b", SourceKey("files", "a"), a},
		{"b", SourceKey("files", "b"), b},
		{"b", "", newest},
		{"b", "files.c", nil},
		{"other", "", nil},
	} {
		got, err := r.Latest(ctx, tt.backup, tt.key)
		if err != nil {
			t.Fatal(err)
		}
		if (got == nil) != (tt.want == nil) || got != nil && got.ID != tt.want.ID {
			t.Errorf("Latest(%q, %q) = %v, want %v", tt.backup, tt.key, got, tt.want)
		}
	}
}
