package files

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/velinhq/velin/providers/provider"
)

// writers is how many files a restore writes at once.
const writers = 8

// Restore implements provider.Source.
func (s *Source) Restore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) error {
	sets, err := s.prepare(ctx, tree, opts)
	if err != nil {
		return fmt.Errorf("restore files: %w", err)
	}
	var problems []provider.Problem
	for _, set := range sets {
		damaged, err := set.restore(ctx, tree)
		if err != nil {
			return fmt.Errorf("restore files to %s: %w", set.dest, err)
		}
		problems = append(problems, damaged...)
	}
	if len(problems) > 0 {
		return &provider.Partial{Op: "restore files", Problems: problems}
	}
	return nil
}

// restorer writes one restoreSet through an os.Root, which refuses any
// path that would leave the destination.
type restorer struct {
	set   *restoreSet
	root  *os.Root
	dirs  *dirRoots // per-directory roots for the files' own operations
	tree  provider.Tree
	batch *batch
	bufs  sync.Pool // *[]byte of copyBufSize
	chown bool

	mu      sync.Mutex
	damaged []provider.Problem // files whose snapshot data is damaged
}

// restore writes the set and returns the files it could not restore
// because their snapshot data is damaged; every other file is restored.
func (set *restoreSet) restore(ctx context.Context, tree provider.Tree) ([]provider.Problem, error) {
	r, err := set.restorer(tree)
	if err != nil {
		return nil, err
	}
	defer r.root.Close()
	defer r.dirs.close() // after the batch's close, which removes through them
	defer r.batch.close()
	if err := r.run(ctx); err != nil {
		return nil, err
	}
	return r.damaged, nil
}

func (set *restoreSet) restorer(tree provider.Tree) (*restorer, error) {
	if err := os.MkdirAll(set.dest, 0o755); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(set.dest)
	if err != nil {
		return nil, err
	}
	b, err := newBatch(root, set.dest)
	if err != nil {
		root.Close()
		return nil, err
	}
	r := &restorer{set: set, root: root, dirs: newDirRoots(root), tree: tree, batch: b, chown: os.Geteuid() == 0}
	r.bufs.New = func() any { b := alignedBuf(copyBufSize); return &b }
	return r, nil
}

func (r *restorer) run(ctx context.Context) error {
	for _, d := range r.set.dirs {
		if err := r.ensureDir(d); err != nil {
			return err
		}
	}
	if err := r.removeStale(); err != nil {
		return err
	}
	if err := r.leaves(ctx); err != nil {
		return err
	}
	b := r.batch
	if err := b.flush(); err != nil { // hard links need their targets in place
		return err
	}
	for _, e := range r.set.selected {
		if e.Kind == provider.KindHardlink {
			if err := r.hardlink(ctx, e); err != nil {
				return err
			}
		}
	}
	if err := b.flush(); err != nil {
		return err
	}
	if err := r.dirMetadata(); err != nil {
		return err
	}
	return b.finish()
}

// ensureDir makes sure p is a real directory: created if missing, refused
// if something else (a symlink above all) is there.
func (r *restorer) ensureDir(p string) error {
	fi, err := r.root.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		if err := r.root.Mkdir(p, 0o700); err != nil {
			return fmt.Errorf("create directory %s: %w", p, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("check directory %s: %w", p, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s exists and is a %v, not a directory: %w", p, fi.Mode().Type(), ErrLayout)
	}
	return nil
}

// leaves writes files and symlinks, several at once.
func (r *restorer) leaves(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(writers)
	for _, e := range r.set.selected {
		switch e.Kind {
		case provider.KindFile:
			g.Go(func() error { return r.file(gctx, e, e) })
		case provider.KindSymlink:
			g.Go(func() error { return r.symlink(e) })
		}
	}
	return g.Wait()
}

func tempName(p string) string {
	return path.Join(path.Dir(p), ".velin-"+rand.Text()+".tmp")
}

// file writes e with the content and metadata of src (src is e, or the
// target of a hard link whose target is not restored). Every operation
// goes through the root r.dirs gives for e.Path.
func (r *restorer) file(ctx context.Context, e, src provider.Entry) error {
	if fi, err := r.root.Lstat(e.Path); err == nil && r.set.identical(ctx, r.root, r.tree, e, fi) {
		return nil // already restored, by an earlier run perhaps
	}
	dir, base, err := r.dirs.of(e.Path)
	if err != nil {
		return fmt.Errorf("restore %s: %w", e.Path, err)
	}
	tmp := tempName(base)
	f, err := dir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", e.Path, err)
	}
	deferred, err := r.fill(ctx, f, src)
	if err == nil { // last: nothing writes to f after this
		err = setTimes(dir, tmp, f, src.ModTime)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err == nil && deferred:
		return r.batch.addIn(dir, tmp, base, e.Path, src.Size) // renamed once durable
	case err == nil:
		err = dir.Rename(tmp, base)
	}
	if err != nil {
		_ = dir.Remove(tmp)
		if ctx.Err() == nil && isDamage(err) {
			r.damage(e.Path, err)
			return nil
		}
		return fmt.Errorf("restore %s: %w", e.Path, err)
	}
	return nil
}

func (r *restorer) isDamaged(p string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range r.damaged {
		if d.Path == p {
			return true
		}
	}
	return false
}

// damage records a file left out because its snapshot data is damaged.
func (r *restorer) damage(p string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.damaged = append(r.damaged, provider.Problem{Path: p, Op: "restore", Err: err.Error()})
}

// fill copies the content of src into f and sets owner and mode. It syncs
// f, or reports that the batch's sync will (deferred).
func (r *restorer) fill(ctx context.Context, f *os.File, src provider.Entry) (deferred bool, err error) {
	if src.Size > 0 {
		rc, err := openSnapshot(ctx, r.tree, src)
		if err != nil {
			return false, err
		}
		if !src.Sparse {
			preallocate(f, src.Size)
		}
		buf := r.bufs.Get().(*[]byte)
		n, err := copyContent(f, rc, modeFor(src.Size, src.Sparse), *buf)
		r.bufs.Put(buf)
		rc.Close()
		if err != nil {
			return false, err
		}
		if n != src.Size {
			return false, damaged{fmt.Errorf("content is %d bytes, entry says %d", n, src.Size)}
		}
	}
	if r.chown {
		if err := f.Chown(int(src.UID), int(src.GID)); err != nil {
			return false, err
		}
	}
	if err := f.Chmod(src.Mode); err != nil {
		return false, err
	}
	return r.batch.sync(f)
}

func (r *restorer) symlink(e provider.Entry) error {
	if t, err := r.root.Readlink(e.Path); err == nil && t == e.Target {
		return nil
	}
	tmp := tempName(e.Path)
	err := r.root.Symlink(e.Target, tmp)
	if err == nil && r.chown {
		err = r.root.Lchown(tmp, int(e.UID), int(e.GID))
	}
	if err == nil {
		err = r.root.Rename(tmp, e.Path)
	}
	if err != nil {
		_ = r.root.Remove(tmp)
		return fmt.Errorf("restore symlink %s: %w", e.Path, err)
	}
	return nil
}

// hardlink links e to its restored target, or writes the target's content
// when the target was not selected.
func (r *restorer) hardlink(ctx context.Context, e provider.Entry) error {
	target := r.set.all[e.Target]
	if !r.set.chosen[e.Target] {
		return r.file(ctx, e, target)
	}
	if r.isDamaged(e.Target) {
		r.damage(e.Path, fmt.Errorf("hard link to %s, whose data is damaged", e.Target))
		return nil
	}
	if same(r.root, e.Path, e.Target) {
		return nil
	}
	tmp := tempName(e.Path)
	err := r.root.Link(e.Target, tmp)
	if err == nil {
		err = r.root.Rename(tmp, e.Path)
	}
	if err != nil {
		_ = r.root.Remove(tmp)
		return fmt.Errorf("restore hard link %s: %w", e.Path, err)
	}
	return nil
}

func same(root *os.Root, a, b string) bool {
	fa, err := root.Lstat(a)
	if err != nil {
		return false
	}
	fb, err := root.Lstat(b)
	return err == nil && os.SameFile(fa, fb)
}

// dirMetadata sets owner, mode and times of the directory entries,
// children before parents (writing into a directory changes its mtime).
func (r *restorer) dirMetadata() error {
	for i := len(r.set.selected) - 1; i >= 0; i-- {
		e := r.set.selected[i]
		if e.Kind != provider.KindDir {
			continue
		}
		var err error
		if r.chown {
			err = r.root.Lchown(e.Path, int(e.UID), int(e.GID))
		}
		if err == nil {
			err = r.root.Chmod(e.Path, e.Mode)
		}
		if err == nil {
			err = r.root.Chtimes(e.Path, e.ModTime, e.ModTime)
		}
		if err != nil {
			return fmt.Errorf("restore directory %s: %w", e.Path, err)
		}
	}
	return nil
}
