package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

// TestRestoreManyDirectories restores many times more directories and hard
// links than one barrier holds (Source.pending, lowered): every directory gets its own mode and
// mtime after its children are written, and every hard link shares its
// target's inode, also when the target was written before an earlier
// barrier.
func TestRestoreManyDirectories(t *testing.T) {
	const dirs = 100
	base := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	entries := map[string]provider.Entry{}
	content := map[string][]byte{}
	entries["r"] = provider.Entry{Path: "r", Kind: provider.KindDir, Mode: 0o750, ModTime: base}
	for i := range dirs {
		d := fmt.Sprintf("r/d%05d", i)
		mtime := base.Add(time.Duration(i) * time.Second)
		entries[d] = provider.Entry{Path: d, Kind: provider.KindDir, Mode: 0o755 - os.FileMode(i%2)*0o50, ModTime: mtime}
		f := d + "/f"
		entries[f] = provider.Entry{Path: f, Kind: provider.KindFile, Mode: 0o644, Size: 2, ModTime: mtime}
		content[f] = []byte{byte(i), byte(i >> 8)}
		if i > 0 && i%3 == 0 { // a link to the previous directory's file
			l := d + "/link"
			entries[l] = provider.Entry{Path: l, Kind: provider.KindHardlink, Target: fmt.Sprintf("r/d%05d/f", i-1)}
		}
	}
	src, err := New([]string{"/srv/r"}, nil, false, false)
	if err != nil {
		t.Fatal(err)
	}
	src.pending = 7
	to := t.TempDir()
	if err := src.Restore(context.Background(), sourcetest.NewMemTree(entries, content), provider.RestoreOptions{To: to}); err != nil {
		t.Fatal(err)
	}
	for p, e := range entries {
		fi, err := os.Lstat(filepath.Join(to, p))
		if err != nil {
			t.Fatal(err)
		}
		switch e.Kind {
		case provider.KindDir:
			if fi.Mode().Perm() != e.Mode.Perm() || !fi.ModTime().Equal(e.ModTime) {
				t.Fatalf("%s: mode %v, mtime %v; want %v, %v", p, fi.Mode().Perm(), fi.ModTime(), e.Mode.Perm(), e.ModTime)
			}
		case provider.KindHardlink:
			if inode(t, filepath.Join(to, p)) != inode(t, filepath.Join(to, e.Target)) {
				t.Fatalf("%s is not a hard link to %s", p, e.Target)
			}
		}
	}
}

// listTree is a tree that yields its entries in the order given, whatever
// it is, as a damaged or forged snapshot could.
type listTree []provider.Entry

func (l listTree) Walk(ctx context.Context, fn func(provider.Entry) error) error {
	for _, e := range l {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (listTree) Open(context.Context, provider.Entry) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("x")), nil
}

// TestRestoreRefusesBadOrder: the restore walks once and relies on path
// order, so a tree out of order, or with a hard link to a later path or
// to a directory, is refused before anything is written.
func TestRestoreRefusesBadOrder(t *testing.T) {
	dir := func(p string) provider.Entry { return provider.Entry{Path: p, Kind: provider.KindDir, Mode: 0o755} }
	file := func(p string) provider.Entry {
		return provider.Entry{Path: p, Kind: provider.KindFile, Mode: 0o644, Size: 1}
	}
	link := func(p, target string) provider.Entry {
		return provider.Entry{Path: p, Kind: provider.KindHardlink, Target: target}
	}
	cases := map[string]listTree{
		"unsorted":       {dir("r"), file("r/b"), file("r/a")},
		"duplicate":      {dir("r"), file("r/a"), file("r/a")},
		"child first":    {file("r/a"), dir("r")},
		"below a file":   {dir("r"), file("r/a"), file("r/a/b")},
		"link forward":   {dir("r"), link("r/a", "r/b"), file("r/b")},
		"link to dir":    {dir("r"), dir("r/a"), link("r/b", "r/a")},
		"link to absent": {dir("r"), link("r/b", "r/a")},
	}
	src, err := New([]string{"/srv/r"}, nil, false, false)
	if err != nil {
		t.Fatal(err)
	}
	for name, tree := range cases {
		t.Run(name, func(t *testing.T) {
			to := t.TempDir()
			err := src.Restore(context.Background(), tree, provider.RestoreOptions{To: to})
			if !errors.Is(err, ErrLayout) {
				t.Fatalf("restore: %v, want ErrLayout", err)
			}
			if _, err := src.PlanRestore(context.Background(), tree, provider.RestoreOptions{To: to}); !errors.Is(err, ErrLayout) {
				t.Errorf("plan: %v, want ErrLayout", err)
			}
			if names, _ := os.ReadDir(to); len(names) != 0 {
				t.Errorf("wrote %v before refusing", names)
			}
		})
	}
	ok := listTree{dir("r"), file("r/a"), link("r/b", "r/a"), dir("r/c"), file("r/c.txt")}
	if err := src.Restore(context.Background(), ok, provider.RestoreOptions{To: t.TempDir()}); err != nil {
		t.Errorf("a tree in path order: %v", err)
	}
}
