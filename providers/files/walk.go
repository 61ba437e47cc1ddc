package files

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/velinhq/velin/providers/provider"
)

// visitFunc receives each entry of the walk with its absolute path.
type visitFunc func(e provider.Entry, abs string) error

// walker walks the roots of a source in path order (directories before
// their children, names sorted), deciding hard links as it goes.
type walker struct {
	src   *Source
	visit visitFunc
	links map[[2]uint64]string // dev+inode of multiply-linked files → first path
	dirs  map[[2]uint64]bool   // directories on the current path (symlink loops)
}

func (s *Source) walk(ctx context.Context, visit visitFunc) error {
	w := &walker{src: s, visit: visit, links: map[[2]uint64]string{}, dirs: map[[2]uint64]bool{}}
	roots := append([]root(nil), s.roots...)
	sort.Slice(roots, func(i, j int) bool { return roots[i].name < roots[j].name })
	for _, r := range roots {
		fi, err := w.stat(r.abs)
		if err != nil {
			return fmt.Errorf("walk %s: %w", r.abs, err)
		}
		if err := w.node(ctx, r, r.abs, r.name, fi, uint64(statOf(fi).Dev)); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) stat(abs string) (fs.FileInfo, error) {
	fi, err := os.Lstat(abs)
	if err != nil || !w.src.followSymlinks || fi.Mode()&fs.ModeSymlink == 0 {
		return fi, err
	}
	if target, err := os.Stat(abs); err == nil {
		return target, nil
	}
	return fi, nil // dangling: kept as a symlink
}

// node handles one path: its entry, then its children for a directory.
func (w *walker) node(ctx context.Context, r root, abs, rel string, fi fs.FileInfo, rootDev uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e, err := w.entry(abs, rel, fi)
	if err != nil {
		return err
	}
	if e.Kind == "" {
		return nil
	}
	if e.Kind != provider.KindDir {
		return w.visit(e, abs)
	}
	st := statOf(fi)
	key := [2]uint64{uint64(st.Dev), st.Ino}
	if w.dirs[key] { // a followed symlink leads back to an ancestor
		return w.visitAsSymlink(e, abs)
	}
	if err := w.visit(e, abs); err != nil {
		return err
	}
	if w.src.oneFileSystem && uint64(st.Dev) != rootDev {
		return nil // a mount point: kept as an empty directory
	}
	w.dirs[key] = true
	defer delete(w.dirs, key)
	return w.children(ctx, r, abs, rel, rootDev)
}

func (w *walker) visitAsSymlink(e provider.Entry, abs string) error {
	target, err := os.Readlink(abs)
	if err != nil {
		return fmt.Errorf("walk %s: directory loop: %w", abs, err)
	}
	e.Kind, e.Target, e.Mode = provider.KindSymlink, target, 0o777
	return w.visit(e, abs)
}

func (w *walker) children(ctx context.Context, r root, abs, rel string, rootDev uint64) error {
	names, err := readNames(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // vanished during the walk
	}
	if err != nil {
		return fmt.Errorf("walk %s: %w", abs, err)
	}
	for _, name := range names {
		childAbs, childRel := filepath.Join(abs, name), rel+"/"+name
		if w.excluded(r, childRel) {
			continue
		}
		fi, err := w.stat(childAbs)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("walk %s: %w", childAbs, err)
		}
		if err := w.node(ctx, r, childAbs, childRel, fi, rootDev); err != nil {
			return err
		}
	}
	return nil
}

func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	sort.Strings(names)
	return names, err
}

// excluded matches rel (which starts with the root name) against the
// exclude globs: relative to the root, and, for globs without a slash, by
// base name at any depth ("*.tmp").
func (w *walker) excluded(r root, rel string) bool {
	inRoot := rel[len(r.name)+1:]
	base := path.Base(rel)
	for _, g := range w.src.exclude {
		if ok, _ := doublestar.Match(g, inRoot); ok {
			return true
		}
		if ok, _ := doublestar.Match(g, base); ok && !strings.Contains(g, "/") {
			return true
		}
	}
	return false
}

// entry describes one path; hard links after the first become KindHardlink.
func (w *walker) entry(abs, rel string, fi fs.FileInfo) (provider.Entry, error) {
	st := statOf(fi)
	e := provider.Entry{
		Path:       rel,
		Mode:       fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky),
		ModTime:    fi.ModTime(),
		UID:        st.Uid,
		GID:        st.Gid,
		Inode:      st.Ino,
		Device:     uint64(st.Dev),
		ChangeTime: changeTime(st),
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		e.Kind = provider.KindSymlink
		target, err := os.Readlink(abs)
		if err != nil {
			return e, fmt.Errorf("read link %s: %w", abs, err)
		}
		e.Target = target
	case fi.IsDir():
		e.Kind = provider.KindDir
	case fi.Mode().IsRegular():
		e.Kind, e.Size = provider.KindFile, fi.Size()
		e.Sparse = st.Blocks*512 < fi.Size()
		if st.Nlink > 1 {
			key := [2]uint64{uint64(st.Dev), st.Ino}
			if first, ok := w.links[key]; ok {
				e.Kind, e.Target, e.Size, e.Sparse = provider.KindHardlink, first, 0, false
			} else {
				w.links[key] = rel
			}
		}
	default:
		e.Kind = "" // devices, sockets, pipes: not backed up
	}
	return e, nil
}

func statOf(fi fs.FileInfo) *syscall.Stat_t {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st
	}
	return &syscall.Stat_t{}
}
