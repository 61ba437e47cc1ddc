package files

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// writeTemp writes content to a new temporary file in root and returns
// its name and whether the batch deferred its sync.
func writeTemp(t *testing.T, b *batch, root *os.Root, final, content string) (string, bool) {
	t.Helper()
	tmp := tempName(final)
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
	deferred, err := b.sync(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return tmp, deferred
}

func newTestBatch(t *testing.T) (*batch, *os.Root, string) {
	t.Helper()
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	b, err := newBatch(root, dir)
	if err != nil {
		t.Fatal(err)
	}
	return b, root, dir
}

func exists(t *testing.T, p string) bool {
	t.Helper()
	_, err := os.Lstat(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func TestBatchRenamesOnlyAfterFlush(t *testing.T) {
	b, root, dir := newTestBatch(t)
	defer b.close()
	tmp, deferred := writeTemp(t, b, root, "a.txt", "hello")
	if deferred != canSyncFS {
		t.Fatalf("deferred = %v, want %v (syncfs available)", deferred, canSyncFS)
	}
	if !deferred {
		t.Skip("no syncfs here: files are synced one by one")
	}
	if err := b.add(tmp, "a.txt", 5); err != nil {
		t.Fatal(err)
	}
	if exists(t, filepath.Join(dir, "a.txt")) {
		t.Fatal("a.txt visible before the batch was synced")
	}
	if err := b.flush(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "a.txt"))
	if err != nil || string(got) != "hello" {
		t.Fatalf("a.txt = %q, %v", got, err)
	}
	if exists(t, filepath.Join(dir, tmp)) {
		t.Fatal("temporary file left after the rename")
	}
	if err := b.finish(); err != nil {
		t.Fatal(err)
	}
}

func TestBatchFlushesWhenFull(t *testing.T) {
	b, root, dir := newTestBatch(t)
	defer b.close()
	if !canSyncFS {
		t.Skip("no syncfs here")
	}
	b.maxFiles = 2
	for i, name := range []string{"x", "y"} {
		tmp, _ := writeTemp(t, b, root, name, name)
		if err := b.add(tmp, name, 1); err != nil {
			t.Fatal(err)
		}
		if want := i == 1; exists(t, filepath.Join(dir, "x")) != want {
			t.Fatalf("after %d files: x visible = %v, want %v", i+1, !want, want)
		}
	}
	if !exists(t, filepath.Join(dir, "y")) {
		t.Fatal("y not renamed by the full batch")
	}
}

func TestBatchCloseRemovesUnflushed(t *testing.T) {
	b, root, dir := newTestBatch(t)
	if !canSyncFS {
		t.Skip("no syncfs here")
	}
	tmp, _ := writeTemp(t, b, root, "z", "zzz")
	if err := b.add(tmp, "z", 3); err != nil {
		t.Fatal(err)
	}
	if err := b.close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("after close the directory holds %v, want nothing (never renamed, temp removed)", entries)
	}
}
