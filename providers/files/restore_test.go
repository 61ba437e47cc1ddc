package files

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

// damagedTree fails to read the content of one path, as a damaged blob
// does.
type damagedTree struct {
	provider.Tree
	bad string
}

func (d damagedTree) Open(ctx context.Context, e provider.Entry) (io.ReadCloser, error) {
	if e.Path == d.bad {
		return nil, errors.New("blob damaged: authentication failed")
	}
	return d.Tree.Open(ctx, e)
}

func backedUp(t *testing.T, files map[string]string) (*Source, provider.Tree) {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(dir, "site", rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := New([]string{filepath.Join(dir, "site")}, nil, false, false)
	if err != nil {
		t.Fatal(err)
	}
	snap := sourcetest.NewMemSnapshot(nil)
	if _, err := src.Backup(context.Background(), snap, provider.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	return src, snap.Finish()
}

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

func TestRestoreLeavesOutOnlyTheDamagedFile(t *testing.T) {
	src, tree := backedUp(t, map[string]string{"a.txt": "a", "sub/b.txt": "b", "sub/c.txt": "c"})
	to := t.TempDir()
	err := src.Restore(context.Background(), damagedTree{tree, "site/sub/b.txt"}, provider.RestoreOptions{To: to})
	var partial *provider.Partial
	if !errors.As(err, &partial) || len(partial.Problems) != 1 || partial.Problems[0].Path != "site/sub/b.txt" {
		t.Fatalf("restore with one damaged file: %v", err)
	}
	for _, ok := range []string{"site/a.txt", "site/sub/c.txt"} {
		if _, err := os.Stat(filepath.Join(to, ok)); err != nil {
			t.Errorf("intact %s not restored: %v", ok, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(to, "site/sub/b.txt")); err == nil {
		t.Error("the damaged file was written")
	}
	entries, _ := os.ReadDir(filepath.Join(to, "site/sub"))
	for _, e := range entries {
		if isTempName(e.Name()) {
			t.Errorf("left %s", e.Name())
		}
	}
}

func TestRestoreAgainRewritesNothingAndCleansUp(t *testing.T) {
	src, tree := backedUp(t, map[string]string{"a.txt": "a", "sub/b.txt": "bb"})
	to := t.TempDir()
	opts := provider.RestoreOptions{To: to}
	if err := src.Restore(context.Background(), tree, opts); err != nil {
		t.Fatal(err)
	}
	a := filepath.Join(to, "site/a.txt")
	before := inode(t, a)
	stale := filepath.Join(to, "site/sub/.velin-ABCDEFGHIJKLMNOPQRSTUVWXYZ.tmp")
	os.WriteFile(stale, []byte("half"), 0o600)
	changes, err := src.PlanRestore(context.Background(), tree, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if c.Action != "unchanged" {
			t.Errorf("after a restore, plan says %s %s", c.Action, c.What)
		}
	}
	if err := src.Restore(context.Background(), tree, opts); err != nil {
		t.Fatal(err)
	}
	if inode(t, a) != before {
		t.Error("a file already restored identically was rewritten")
	}
	if _, err := os.Lstat(stale); err == nil {
		t.Error("the stale temporary file is still there")
	}
}
