package sourcetest

import (
	"context"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/velinhq/velin/providers/provider"
)

func testInclude(t *testing.T, h Harness) {
	fx := h.Setup(t)
	tree, _, _ := h.backup(t, fx, nil, false)
	entries := map[string]provider.Entry{}
	var deep string
	walk(t, tree, func(e provider.Entry) {
		entries[e.Path] = e
		if deep == "" && e.Kind == provider.KindFile && strings.Count(e.Path, "/") >= 2 {
			deep = e.Path
		}
	})
	if deep == "" {
		t.Fatal("tree has no file two levels deep")
	}
	include := []string{path.Dir(deep) + "/*", "**/*hard*", path.Dir(path.Dir(deep))}
	want := map[string]bool{}
	for p := range entries {
		if includedBy(include, p) {
			for q := p; q != "."; q = path.Dir(q) {
				want[q] = true
			}
		}
	}
	dest := t.TempDir()
	to, _ := fx.Dest(dest)
	if err := fx.Source.Restore(context.Background(), tree, provider.RestoreOptions{To: to, Include: include}); err != nil {
		t.Fatalf("restore %v: %v", include, err)
	}
	got := map[string]bool{}
	for p := range scanDir(t, dest) {
		got[p] = true
	}
	for p := range want {
		if !got[p] {
			t.Errorf("include %v: %s not restored", include, p)
		}
	}
	for p := range got {
		if !want[p] {
			t.Errorf("include %v: %s restored but not included", include, p)
		}
	}
	compareContent(t, tree, entries[deep], filepath.Join(dest, filepath.FromSlash(deep)))
}

// includedBy says whether p or a parent of p matches a glob: an included
// directory brings its whole subtree.
func includedBy(globs []string, p string) bool {
	for q := p; q != "."; q = path.Dir(q) {
		for _, g := range globs {
			if ok, _ := doublestar.Match(g, q); ok {
				return true
			}
		}
	}
	return false
}

func compareContent(t testing.TB, tree provider.Tree, e provider.Entry, file string) {
	t.Helper()
	r, err := tree.Open(context.Background(), e)
	mustDo(t, err)
	defer r.Close()
	want, err := io.ReadAll(r)
	mustDo(t, err)
	got, err := os.ReadFile(file)
	mustDo(t, err)
	if string(got) != string(want) {
		t.Errorf("%s: restored content differs from the tree's", e.Path)
	}
}

// hostile is a tree no honest backup produces, and the restore must refuse.
type hostile struct {
	name    string
	entries func(base string) []provider.Entry
	prepare func(t testing.TB, base, dest string) // state of the destination before
	refuse  bool                                  // restore must return an error
	check   func(t testing.TB, base, dest string)
}

func hostileTrees() []hostile {
	dir := provider.Entry{Path: "x", Kind: provider.KindDir, Mode: 0o755}
	file := func(p string) provider.Entry {
		return provider.Entry{Path: p, Kind: provider.KindFile, Mode: 0o644, Size: 4}
	}
	link := func(p, target string) provider.Entry {
		return provider.Entry{Path: p, Kind: provider.KindSymlink, Mode: 0o777, Target: target}
	}
	return []hostile{
		{name: "DotDot", entries: func(base string) []provider.Entry { return []provider.Entry{file("../evil")} }, refuse: true},
		{name: "InnerDotDot", entries: func(base string) []provider.Entry { return []provider.Entry{dir, file("x/../../evil")} }, refuse: true},
		{name: "Absolute", entries: func(base string) []provider.Entry {
			return []provider.Entry{file(filepath.ToSlash(filepath.Join(base, "evil")))}
		}, refuse: true},
		{name: "SymlinkThenFile", entries: func(base string) []provider.Entry {
			return []provider.Entry{dir, link("x/link", base), file("x/link/evil")}
		}, refuse: true},
		{name: "RelativeSymlinkThenFile", entries: func(base string) []provider.Entry {
			return []provider.Entry{dir, link("x/link", "../.."), file("x/link/evil")}
		}, refuse: true},
		{name: "HardlinkOutside", entries: func(base string) []provider.Entry {
			return []provider.Entry{dir, {Path: "x/h", Kind: provider.KindHardlink, Target: "../outside.txt"}}
		}, refuse: true},
		{
			name: "ExistingSymlinkDir", entries: func(base string) []provider.Entry { return []provider.Entry{dir, file("x/link/evil")} }, refuse: true,
			prepare: func(t testing.TB, base, dest string) {
				mustDo(t, os.MkdirAll(filepath.Join(dest, "x"), 0o755))
				mustDo(t, os.Symlink(base, filepath.Join(dest, "x/link")))
			},
		},
		{
			name: "ExistingSymlinkFile", entries: func(base string) []provider.Entry { return []provider.Entry{dir, file("x/f")} },
			prepare: func(t testing.TB, base, dest string) {
				mustDo(t, os.MkdirAll(filepath.Join(dest, "x"), 0o755))
				mustDo(t, os.Symlink(filepath.Join(base, "outside.txt"), filepath.Join(dest, "x/f")))
			},
			check: func(t testing.TB, base, dest string) {
				fi, err := os.Lstat(filepath.Join(dest, "x/f"))
				mustDo(t, err)
				if !fi.Mode().IsRegular() {
					t.Errorf("x/f is %v after restore, want a regular file replacing the symlink", fi.Mode())
				}
			},
		},
	}
}

func testHostile(t *testing.T, h Harness) {
	for _, hc := range hostileTrees() {
		t.Run(hc.name, func(t *testing.T) {
			fx := h.Setup(t)
			base := t.TempDir()
			outside := filepath.Join(base, "outside.txt")
			mustDo(t, os.WriteFile(outside, []byte("keep"), 0o644))
			dest := filepath.Join(base, "dest")
			mustDo(t, os.Mkdir(dest, 0o755))
			if hc.prepare != nil {
				hc.prepare(t, base, dest)
			}
			tree := hostileTree(hc.entries(base))
			to, _ := fx.Dest(dest)
			err := fx.Source.Restore(context.Background(), tree, provider.RestoreOptions{To: to})
			if hc.refuse && err == nil {
				t.Error("restore of a hostile tree succeeded")
			}
			if !hc.refuse && err != nil {
				t.Errorf("restore: %v", err)
			}
			if extra := ListOutside(t, base, dest); len(extra) != 1 || extra[0] != outside {
				t.Errorf("restore wrote outside its destination: %v", extra)
			}
			if data, err := os.ReadFile(outside); err != nil || string(data) != "keep" {
				t.Errorf("file outside the destination changed: %q, %v", data, err)
			}
			if hc.check != nil {
				hc.check(t, base, dest)
			}
		})
	}
}

func hostileTree(entries []provider.Entry) *MemTree {
	m := map[string]provider.Entry{}
	c := map[string][]byte{}
	for _, e := range entries {
		m[e.Path] = e
		if e.Kind == provider.KindFile {
			c[e.Path] = []byte("evil")
		}
	}
	return NewMemTree(m, c)
}
