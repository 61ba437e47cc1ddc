package files

import (
	"os"
	"path/filepath"
	"strings"
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

// TestComparePaths checks comparePaths against its definition: paths
// split into components, compared component by component.
func TestComparePaths(t *testing.T) {
	byComponents := func(a, b string) int {
		ac, bc := strings.Split(a, "/"), strings.Split(b, "/")
		for i := 0; i < len(ac) && i < len(bc); i++ {
			if c := strings.Compare(ac[i], bc[i]); c != 0 {
				return c
			}
		}
		return len(ac) - len(bc)
	}
	paths := []string{"a", "a/b", "a-c", "a.b", "a/b/c", "ab", "a b", "a/b-c", "a/b/d", "b", "a/c", "A", "a/b c", "é", "a/é"}
	for _, a := range paths {
		for _, b := range paths {
			if got, want := sign(comparePaths(a, b)), sign(byComponents(a, b)); got != want {
				t.Errorf("comparePaths(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
