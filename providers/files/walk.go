package files

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/velinhq/velin/providers/provider"
)

// visitFunc receives each entry of the walk with its FileInfo and its
// place in the open parent directory (valid only during the call).
type visitFunc func(e provider.Entry, a at, fi fs.FileInfo) error

// walker walks the roots of a source in path order (directories before
// their children, names sorted), deciding hard links as it goes. Every
// directory is opened relative to its parent's descriptor, so a path
// swapped for a symlink during the walk never leads outside the tree.
type walker struct {
	src   *Source
	visit visitFunc
	log   *tally
	links map[[2]uint64]string // dev+inode of multiply-linked files → first path
	dirs  map[[2]uint64]bool   // directories on the current path (symlink loops)
}

func (s *Source) walk(ctx context.Context, log *tally, visit visitFunc) error {
	w := &walker{src: s, visit: visit, log: log, links: map[[2]uint64]string{}, dirs: map[[2]uint64]bool{}}
	roots := append([]root(nil), s.roots...)
	sort.Slice(roots, func(i, j int) bool { return roots[i].name < roots[j].name })
	for _, r := range roots {
		if err := w.root(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// root walks one configured path. A path that is a symlink is followed.
func (w *walker) root(ctx context.Context, r root) error {
	fi, link, err := r.check()
	if err != nil {
		return err
	}
	if link != "" {
		w.log.link(r.name, link)
	}
	parent, err := os.Open(filepath.Dir(r.abs))
	if err != nil {
		return fmt.Errorf("walk %s: %w", r.abs, err)
	}
	defer parent.Close()
	a := at{dir: parent, name: filepath.Base(r.abs), abs: r.abs, follow: link != "" || w.src.followSymlinks}
	return w.node(ctx, r, a, r.name, fi, uint64(statOf(fi).Dev), true)
}

// node handles one path: its entry, then its children for a directory.
func (w *walker) node(ctx context.Context, r root, a at, rel string, fi fs.FileInfo, rootDev uint64, isRoot bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e, err := w.entry(a, rel, fi)
	if err != nil {
		w.log.fail(rel, "read", err)
		return nil
	}
	switch e.Kind {
	case "":
		w.log.skip(rel, typeName(fi))
		return nil
	case provider.KindDir:
		return w.dir(ctx, r, a, e, fi, rootDev, isRoot)
	}
	return w.visit(e, a, fi)
}

// dir visits a directory entry, then its children, unless it is a velin
// repository (left out, with a note) or a mount point with
// one_file_system (kept empty). One that cannot be read is kept empty.
func (w *walker) dir(ctx context.Context, r root, a at, e provider.Entry, fi fs.FileInfo, rootDev uint64, isRoot bool) error {
	st := statOf(fi)
	key := [2]uint64{uint64(st.Dev), st.Ino}
	if w.dirs[key] { // a followed symlink leads back to an ancestor
		return w.visitAsSymlink(e, a, fi)
	}
	if w.src.oneFileSystem && uint64(st.Dev) != rootDev {
		return w.visit(e, a, fi)
	}
	d, err := a.open(fi, true)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // vanished during the walk
	}
	if errors.Is(err, ErrReplaced) {
		w.log.fail(e.Path, "open", err)
		return nil
	}
	if err != nil {
		w.log.fail(e.Path, "open", err)
		return w.visit(e, a, fi)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		w.log.fail(e.Path, "list", err) // keeps the names read so far
	}
	sort.Strings(names)
	if !isRoot && isRepository(d, names) {
		w.log.skip(e.Path, "velin repository")
		return nil
	}
	if err := w.visit(e, a, fi); err != nil {
		return err
	}
	w.dirs[key] = true
	defer delete(w.dirs, key)
	return w.children(ctx, r, d, a.abs, e.Path, names, rootDev)
}

func (w *walker) visitAsSymlink(e provider.Entry, a at, fi fs.FileInfo) error {
	target, err := a.readlink()
	if err != nil {
		return fmt.Errorf("walk %s: directory loop: %w", a.abs, err)
	}
	e.Kind, e.Target, e.Mode = provider.KindSymlink, target, 0o777
	return w.visit(e, a, fi)
}

func (w *walker) children(ctx context.Context, r root, d *os.File, abs, rel string, names []string, rootDev uint64) error {
	for _, name := range names {
		childRel := rel + "/" + name
		if w.excluded(r, childRel) {
			continue
		}
		a := at{dir: d, name: name, abs: filepath.Join(abs, name), follow: w.src.followSymlinks}
		fi, err := a.stat()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			w.log.fail(childRel, "stat", err)
			continue
		}
		if err := w.node(ctx, r, a, childRel, fi, rootDev, false); err != nil {
			return err
		}
	}
	return nil
}

// excluded matches rel (which starts with the root name) against the
// exclude globs, by the rule --include shares (see match).
func (w *walker) excluded(_ root, rel string) bool {
	for _, g := range w.src.exclude {
		if match(g, rel) {
			return true
		}
	}
	return false
}

// entry describes one path; hard links after the first become KindHardlink.
// Named pipes, sockets and devices get an empty Kind: they are skipped.
func (w *walker) entry(a at, rel string, fi fs.FileInfo) (provider.Entry, error) {
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
		target, err := a.readlink()
		if err != nil {
			return e, err
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
	}
	return e, nil
}

func statOf(fi fs.FileInfo) *syscall.Stat_t {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st
	}
	return &syscall.Stat_t{}
}
