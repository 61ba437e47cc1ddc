package sourcetest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TreeSpec tells what MakeTree built.
type TreeSpec struct {
	// Mutable lists plain files (not hard-linked, not sparse, not empty),
	// relative to the parent directory, that MutateTree may change.
	Mutable []string
}

// MakeTree builds parent/name: a random tree with empty files, a 3 MiB
// file, symlinks (relative, absolute, dangling, to a directory), hard links,
// unicode names, deep paths, a sparse file, empty directories and a few
// permission modes. Times are set in the past so changes are visible.
func MakeTree(t testing.TB, parent, name string, seed uint64) TreeSpec {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	root := filepath.Join(parent, name)
	var spec TreeSpec
	write := func(rel string, size int, perm fs.FileMode) {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.UintN(256))
		}
		full := filepath.Join(root, rel)
		mustDo(t, os.MkdirAll(filepath.Dir(full), 0o755))
		mustDo(t, os.WriteFile(full, data, perm))
		mustDo(t, os.Chmod(full, perm))
		if size > 0 && size < 1<<20 {
			spec.Mutable = append(spec.Mutable, filepath.ToSlash(filepath.Join(name, rel)))
		}
	}
	write("empty.txt", 0, 0o644)
	write("big.bin", 3<<20, 0o644)
	write("script.sh", 100, 0o755)
	write("private/key.pem", 300, 0o600)
	write("héllo wörld.txt", 50, 0o644)
	write("日本語/ファイル.txt", 70, 0o644)
	write("emoji-😀/x", 10, 0o644)
	write("a/b/c/d/e/f/g/h/i/j/deep.txt", 33, 0o644)
	for i := range 40 {
		dir := fmt.Sprintf("d%d/s%d", rng.IntN(5), rng.IntN(3))
		write(fmt.Sprintf("%s/f%02d.dat", dir, i), rng.IntN(20000), 0o644)
	}
	mustDo(t, os.MkdirAll(filepath.Join(root, "empty-dir"), 0o755))
	mustDo(t, os.MkdirAll(filepath.Join(root, "a/empty"), 0o700))
	mustDo(t, os.Chmod(filepath.Join(root, "private"), 0o700))

	mustDo(t, os.Symlink("empty.txt", filepath.Join(root, "link-rel")))
	mustDo(t, os.Symlink("/nonexistent/velin/target", filepath.Join(root, "link-dangling")))
	mustDo(t, os.Symlink("a/b", filepath.Join(root, "link-dir")))

	hard := make([]byte, 5000)
	for i := range hard {
		hard[i] = byte(rng.UintN(256))
	}
	mustDo(t, os.WriteFile(filepath.Join(root, "hard1"), hard, 0o644))
	mustDo(t, os.Link(filepath.Join(root, "hard1"), filepath.Join(root, "d0/hard2")))
	mustDo(t, os.Link(filepath.Join(root, "hard1"), filepath.Join(root, "zz-hard3")))

	makeSparse(t, filepath.Join(root, "sparse.img"))
	setTimes(t, root, rng)
	return spec
}

func makeSparse(t testing.TB, path string) {
	f, err := os.Create(path)
	mustDo(t, err)
	defer f.Close()
	_, err = f.WriteAt(bytes.Repeat([]byte("data"), 1024), 0)
	mustDo(t, err)
	_, err = f.WriteAt(bytes.Repeat([]byte("more"), 1024), 1<<20)
	mustDo(t, err)
	mustDo(t, f.Truncate(4<<20))
}

// setTimes gives every file and directory a random time in the past,
// children before their directory.
func setTimes(t testing.TB, root string, rng *rand.Rand) {
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
			return nil
		}
		return os.Chtimes(p, randTime(rng), randTime(rng))
	})
	mustDo(t, err)
	for i := len(dirs) - 1; i >= 0; i-- {
		mustDo(t, os.Chtimes(dirs[i], randTime(rng), randTime(rng)))
	}
}

func randTime(rng *rand.Rand) time.Time {
	return time.Unix(1_500_000_000+rng.Int64N(200_000_000), rng.Int64N(1e9))
}

// MutateTree changes live files of a tree MakeTree built under parent: one
// grows, one is replaced by a same-size file with the same mtime (a new
// inode, as editors that save by rename do), one is deleted. It returns
// the two changed paths, relative to parent.
func MutateTree(t testing.TB, parent string, spec TreeSpec) []string {
	t.Helper()
	if len(spec.Mutable) < 3 {
		t.Fatalf("mutate: need 3 mutable files, have %d", len(spec.Mutable))
	}
	grow, swap, gone := spec.Mutable[0], spec.Mutable[1], spec.Mutable[2]

	f, err := os.OpenFile(filepath.Join(parent, grow), os.O_APPEND|os.O_WRONLY, 0)
	mustDo(t, err)
	_, err = f.WriteString("appended")
	mustDo(t, err)
	mustDo(t, f.Close())

	full := filepath.Join(parent, swap)
	st, err := os.Stat(full)
	mustDo(t, err)
	old, err := os.ReadFile(full)
	mustDo(t, err)
	for i := range old {
		old[i] ^= 0xff
	}
	tmp := full + ".new"
	mustDo(t, os.WriteFile(tmp, old, st.Mode().Perm()))
	mustDo(t, os.Chtimes(tmp, st.ModTime(), st.ModTime()))
	mustDo(t, os.Rename(tmp, full))

	mustDo(t, os.Remove(filepath.Join(parent, gone)))
	return []string{grow, swap}
}

type captured struct {
	kind   string
	perm   fs.FileMode
	mtime  time.Time
	size   int64
	sum    [32]byte
	target string
	group  string // first path (walk order) sharing the inode, for hard links
	sparse bool
}

func (c captured) String() string {
	return fmt.Sprintf("%s %v mtime=%s size=%d sum=%x target=%q group=%q sparse=%v",
		c.kind, c.perm, c.mtime.Format(time.RFC3339Nano), c.size, c.sum[:6], c.target, c.group, c.sparse)
}

// CaptureDir records every entry under dir (not dir itself). The returned
// checker fails t unless the directory at has exactly the same entries:
// kind, permissions, content, symlink targets, modification times (not for
// symlinks), hard-link groups and sparseness.
func CaptureDir(t testing.TB, dir string) func(t testing.TB, at string) {
	t.Helper()
	want := scanDir(t, dir)
	return func(t testing.TB, at string) {
		t.Helper()
		got := scanDir(t, at)
		for p, w := range want {
			g, ok := got[p]
			if !ok {
				t.Errorf("%s: missing after restore", p)
				continue
			}
			if g != w {
				t.Errorf("%s: restored %v, want %v", p, g, w)
			}
		}
		for p := range got {
			if _, ok := want[p]; !ok {
				t.Errorf("%s: restored but was not there", p)
			}
		}
	}
}

func scanDir(t testing.TB, dir string) map[string]captured {
	t.Helper()
	out := map[string]captured{}
	groups := map[[2]uint64]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		c, err := captureOne(p, groups, filepath.ToSlash(rel))
		out[filepath.ToSlash(rel)] = c
		return err
	})
	mustDo(t, err)
	return out
}

func captureOne(p string, groups map[[2]uint64]string, rel string) (captured, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return captured{}, err
	}
	c := captured{perm: fi.Mode().Perm() | fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		c.kind, c.perm = "symlink", 0
		c.target, err = os.Readlink(p)
	case fi.IsDir():
		c.kind, c.mtime = "dir", fi.ModTime()
	default:
		c.kind, c.mtime, c.size = "file", fi.ModTime(), fi.Size()
		st := fi.Sys().(*syscall.Stat_t)
		key := [2]uint64{uint64(st.Dev), st.Ino}
		if first, ok := groups[key]; ok {
			c.group = first
		} else {
			groups[key] = rel
			c.group = rel
		}
		if st.Nlink < 2 {
			c.group = ""
		}
		c.sparse = st.Blocks*512 < fi.Size()
		var data []byte
		data, err = os.ReadFile(p)
		c.sum = sha256.Sum256(data)
	}
	return c, err
}

// ListOutside returns every path under base that is not under keep, for
// checking that a restore wrote nothing outside its destination.
func ListOutside(t testing.TB, base, keep string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == keep {
			return filepath.SkipDir
		}
		if p != base && !strings.HasPrefix(p, keep+string(filepath.Separator)) {
			out = append(out, p)
		}
		return nil
	})
	mustDo(t, err)
	return out
}

func mustDo(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
