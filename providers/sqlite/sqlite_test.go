package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

func countRows(t testing.TB, path string) int64 {
	t.Helper()
	var n int64
	if err := openDB(t, path).QueryRow("SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBackupWhileWriting(t *testing.T) {
	live := filepath.Join(t.TempDir(), "app.db")
	makeDB(t, live)
	src, _ := New(live)

	writer := openDB(t, live)
	started, stop := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			if _, err := writer.Exec("INSERT INTO users (name, note) VALUES ('w', randomblob(500))"); err != nil {
				t.Errorf("writer: %v", err)
				return
			}
			if i == 0 {
				close(started)
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	<-started
	low := countRows(t, live)
	snap := sourcetest.NewMemSnapshot(nil)
	facts, err := src.Backup(context.Background(), snap, provider.BackupOptions{})
	high := countRows(t, live)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	destDir := t.TempDir()
	dest := filepath.Join(destDir, filepath.Base(live))
	if err := src.Restore(context.Background(), snap.Finish(), provider.RestoreOptions{To: destDir}); err != nil {
		t.Fatal(err)
	}
	if err := integrityCheck(context.Background(), dest); err != nil {
		t.Fatal(err)
	}
	got := countRows(t, dest)
	if got < low || got > high {
		t.Errorf("copy has %d users, writer had between %d and %d", got, low, high)
	}
	if facts.Rows != got+2 || facts.Tables != 2 || !strings.HasPrefix(facts.ServerVersion, "sqlite 3.") {
		t.Errorf("facts %+v do not describe the copy (%d users)", facts, got)
	}
}

// TestRestoreIgnoresStaleWAL restores over a crashed database whose -wal
// still holds committed frames: they must not be replayed into the result.
func TestRestoreIgnoresStaleWAL(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "app.db")
	makeDB(t, live)
	src, _ := New(live)
	snap := sourcetest.NewMemSnapshot(nil)
	if _, err := src.Backup(context.Background(), snap, provider.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	want := dump(t, live)

	db := openDB(t, live)
	exec(t, db, "PRAGMA wal_autocheckpoint=0")
	exec(t, db, "DELETE FROM users")
	exec(t, db, "INSERT INTO users (name) VALUES ('only')")
	crashedDir := filepath.Join(dir, "crashed")
	if err := os.MkdirAll(crashedDir, 0o755); err != nil {
		t.Fatal(err)
	}
	crashed := filepath.Join(crashedDir, filepath.Base(live))
	for _, suffix := range []string{"", "-wal"} {
		data, err := os.ReadFile(live + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crashed+suffix, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if got := dump(t, crashed); got == want {
		t.Fatal("crash image does not differ from the snapshot; the test proves nothing")
	}
	if err := src.Restore(context.Background(), snap.Finish(), provider.RestoreOptions{To: crashedDir}); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, crashed); got != want {
		t.Errorf("restored database is not the snapshot:\n%.200s", got)
	}
}

func TestRestoreRefusesCorruptCopy(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "app.db")
	makeDB(t, live)
	before, _ := os.ReadFile(live)
	src, _ := New(live)
	junk := []byte(strings.Repeat("not a database ", 500))
	tree := sourcetest.NewMemTree(map[string]provider.Entry{
		"app.db": {Path: "app.db", Kind: provider.KindFile, Mode: 0o644, Size: int64(len(junk))},
	}, map[string][]byte{"app.db": junk})
	err := src.Restore(context.Background(), tree, provider.RestoreOptions{})
	if !errors.Is(err, ErrIntegrity) {
		t.Fatalf("restore of junk: %v, want an integrity error", err)
	}
	after, _ := os.ReadFile(live)
	if string(after) != string(before) {
		t.Error("the live database changed although the restore was refused")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "velin") {
			t.Errorf("left behind %s", e.Name())
		}
	}
}

func TestPlanRestoreComparesTables(t *testing.T) {
	fx := setup(t)
	snap := sourcetest.NewMemSnapshot(nil)
	if _, err := fx.Source.Backup(context.Background(), snap, provider.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	tree := snap.Finish()
	plan := func() map[string]string {
		changes, err := fx.Source.PlanRestore(context.Background(), tree, provider.RestoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, c := range changes {
			if c.Part {
				out[c.What] = c.Action + " " + c.Snapshot + " / " + c.Current
			} else {
				out["file"] = c.Action
			}
		}
		return out
	}
	if got := plan(); got["file"] != "replace" || got["table users"] != "replace 200 rows / 200 rows" {
		t.Errorf("plan over the live database (a backup is a VACUUM copy, other bytes) = %v", got)
	}
	if err := fx.Source.Restore(context.Background(), tree, provider.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := plan(); got["file"] != "unchanged" || got["table users"] != "unchanged 200 rows / 200 rows" {
		t.Errorf("plan over the database just restored = %v, want all unchanged", got)
	}
	db := openDB(t, fx.Live)
	exec(t, db, "INSERT INTO users (name) VALUES ('late')")
	exec(t, db, "CREATE TABLE extra (x)")
	db.Close()
	got := plan()
	want := map[string]string{"file": "replace", "table users": "replace 200 rows / 201 rows", "table extra": "drop  / 0 rows"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

func decode(t *testing.T, src string) (provider.Source, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclparse.NewParser().ParseHCL([]byte(src), "test.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return Decode(f.Body, provider.DecodeContext{Dir: "/plans", Secret: func(string) {}})
}

func TestDecode(t *testing.T) {
	s, diags := decode(t, `path = "data/app.db"`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := s.(*Source).path; got != "/plans/data/app.db" {
		t.Errorf("path %q, want it resolved against the plan directory", got)
	}
	for _, bad := range []string{``, `path = ""`, "path = \"a\"\nextra = 1", `path = 3 == 4 ? "x" : ["y"]`} {
		_, diags := decode(t, bad)
		if !diags.HasErrors() {
			t.Errorf("%q: no diagnostic", bad)
			continue
		}
		if diags[0].Subject == nil || diags[0].Subject.Filename != "test.hcl" {
			t.Errorf("%q: diagnostic without a range: %v", bad, diags[0])
		}
	}
}
