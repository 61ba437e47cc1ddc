package files

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDirRootsBounded checks that past its bound dirRoots hands out the
// destination's root with the whole path, and that both kinds of answer
// name the same file.
func TestDirRootsBounded(t *testing.T) {
	dest := t.TempDir()
	for _, d := range []string{"a", "b/c"} {
		if err := os.MkdirAll(filepath.Join(dest, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	d := newDirRoots(root)
	d.max = 1
	defer d.close()

	cases := []struct{ path, wantName string }{
		{"top.txt", "top.txt"},     // the destination itself: never cached
		{"a/x.txt", "x.txt"},       // first directory: its own root
		{"a/y.txt", "y.txt"},       // same directory: cached root
		{"b/c/z.txt", "b/c/z.txt"}, // bound reached: whole path
	}
	for _, c := range cases {
		r, name, err := d.of(c.path)
		if err != nil {
			t.Fatalf("of(%q): %v", c.path, err)
		}
		if name != c.wantName {
			t.Errorf("of(%q) name = %q, want %q", c.path, name, c.wantName)
		}
		if err := r.WriteFile(name, []byte(c.path), 0o644); err != nil {
			t.Fatalf("write %q: %v", c.path, err)
		}
		got, err := os.ReadFile(filepath.Join(dest, c.path))
		if err != nil || string(got) != c.path {
			t.Errorf("%s holds %q, %v; want its own path", c.path, got, err)
		}
	}
	if len(d.open) != 1 {
		t.Errorf("%d directory roots open, want 1 (the bound)", len(d.open))
	}
}
