package files

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/velinhq/velin/internal/directio"
	"github.com/velinhq/velin/providers/provider"
)

// writers is how many files a restore writes at once.
const writers = 8

// Restore implements provider.Source. After the selection's check, it
// restores the tree in one walk (see restorer), one destination
// directory after the other.
func (s *Source) Restore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) error {
	sel, err := s.selection(ctx, tree, opts)
	if err != nil {
		return fmt.Errorf("restore files: %w", err)
	}
	var r *restorer
	defer func() { r.close() }()
	var problems []provider.Problem
	var werr error // an error of the restore, not of the walk
	err = sel.each(ctx, func(dest string, e provider.Entry) error {
		if r != nil && r.dest != dest {
			if werr = r.finish(); werr != nil {
				werr = fmt.Errorf("restore files to %s: %w", r.dest, werr)
				return werr
			}
			problems = append(problems, r.damaged...)
			r.close()
			r = nil
		}
		if r == nil {
			r, werr = sel.restorer(ctx, dest)
		}
		if werr == nil {
			werr = r.add(e)
		}
		if werr != nil {
			werr = fmt.Errorf("restore files to %s: %w", dest, werr)
		}
		return werr
	})
	if err == nil && r != nil {
		if err = r.finish(); err != nil {
			err = fmt.Errorf("restore files to %s: %w", r.dest, err)
		}
		problems = append(problems, r.damaged...)
	}
	switch {
	case werr != nil:
		return werr
	case err != nil:
		return fmt.Errorf("restore files: %w", err)
	case len(problems) > 0:
		return &provider.Partial{Op: "restore files", Problems: problems}
	}
	return nil
}

// restorer writes the selected entries for one destination directory as
// the walk brings them, through an os.Root, which refuses any path that
// would leave the destination. Directories are created on the way down
// (a dirStack); files and symlinks are written by up to inFlight
// goroutines, writers of them at once (see gate); what must wait until files are in place (hard links to
// restored files, then the metadata of the directories the walk has left,
// children first) waits in short lists that a barrier empties, so memory
// stays bounded whatever the number of entries.
type restorer struct {
	sel   *selection
	dest  string
	ctx   context.Context
	root  *os.Root
	dirs  *dirRoots // per-directory roots for the files' own operations
	batch *batch
	bufs  sync.Pool // *[]byte of copyBufSize
	gate  *gate
	chown bool

	batcher batcher // files whose content the tree reads in batches

	g       *errgroup.Group // the writers since the last barrier
	gctx    context.Context
	stack   dirStack
	left    []provider.Entry // directories left, metadata pending, children first
	links   []provider.Entry // hard links to restored files, pending
	topDone bool             // the destination itself cleaned of temporary files

	mu      sync.Mutex
	damaged []provider.Problem // files whose snapshot data is damaged
}

// maxPending bounds the directories and hard links waiting for a barrier.
const maxPending = 4096

func (sel *selection) restorer(ctx context.Context, dest string) (*restorer, error) {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return nil, err
	}
	b, err := newBatch(root, dest)
	if err != nil {
		root.Close()
		return nil, err
	}
	r := &restorer{sel: sel, dest: dest, ctx: ctx, root: root, dirs: newDirRoots(root), batch: b, gate: newGate(), chown: os.Geteuid() == 0, batcher: newBatcher(sel.tree)}
	r.bufs.New = func() any { b := directio.AlignedBuf(copyBufSize); return &b }
	r.g, r.gctx = errgroup.WithContext(ctx)
	r.g.SetLimit(inFlight)
	return r, nil
}

// close waits for the writers and releases everything; the temporary
// files of an unfinished batch are removed. A nil r is fine.
func (r *restorer) close() {
	if r == nil {
		return
	}
	_ = r.g.Wait()
	r.batch.close()
	r.dirs.close() // after the batch's close, which removes through them
	r.root.Close()
}

// add restores one selected entry, or starts to.
func (r *restorer) add(e provider.Entry) error {
	if r.gctx.Err() != nil { // a writer failed, or the restore is cancelled
		if err := r.g.Wait(); err != nil {
			return err
		}
		return r.ctx.Err()
	}
	r.left = r.stack.leave(e.Path, r.left)
	dir := path.Dir(e.Path)
	if err := r.stack.enter(dir, r.ensureDir); err != nil {
		return err
	}
	if dir == "." && e.Kind != provider.KindDir && !r.topDone {
		r.topDone = true
		if err := r.removeStaleIn("."); err != nil {
			return err
		}
	}
	fresh := r.stack.fresh(dir) // e cannot exist yet: no need to look
	switch e.Kind {
	case provider.KindDir:
		return r.stack.push(e, r.ensureDir)
	case provider.KindFile:
		if took, err := r.queue(e, nil, fresh); took || err != nil {
			return r.pendingFull(err)
		}
		r.g.Go(func() error { return r.file(r.gctx, e, e, fresh) })
	case provider.KindSymlink:
		r.g.Go(func() error { return r.symlink(e, fresh) })
	case provider.KindHardlink:
		if !r.sel.chosen(e) {
			src := r.sel.targets[e.Target]
			if took, err := r.queue(e, &src, fresh); took || err != nil {
				return r.pendingFull(err)
			}
			r.g.Go(func() error { return r.file(r.gctx, e, src, fresh) })
		} else {
			r.links = append(r.links, e)
		}
	}
	return r.pendingFull(nil)
}

// pendingFull passes err on, or runs a barrier when the lists it empties
// are full.
func (r *restorer) pendingFull(err error) error {
	if err == nil && (len(r.left) >= r.sel.src.pending || len(r.links) >= r.sel.src.pending) {
		return r.barrier()
	}
	return err
}

// barrier waits for every file started so far and renames it into place,
// then makes the pending hard links and sets the metadata of the
// directories left (nothing writes into them any more).
func (r *restorer) barrier() error {
	if err := r.startBatch(); err != nil {
		return err
	}
	if err := r.g.Wait(); err != nil {
		return err
	}
	if err := r.batch.flush(); err != nil { // hard links need their targets in place
		return err
	}
	for _, e := range r.links {
		if err := r.hardlink(e); err != nil {
			return err
		}
	}
	r.links = r.links[:0]
	for _, e := range r.left {
		if err := r.dirMetadata(e); err != nil {
			return err
		}
	}
	r.left = r.left[:0]
	r.dirs.close() // nothing pending uses them; reopened when needed
	r.g, r.gctx = errgroup.WithContext(r.ctx)
	r.g.SetLimit(inFlight)
	return nil
}

// finish leaves every directory, empties the lists and syncs once more so
// that the renames and metadata set after the last flush are durable.
func (r *restorer) finish() error {
	r.left = r.stack.leave("", r.left)
	if err := r.barrier(); err != nil {
		return err
	}
	return r.batch.finish()
}

// ensureDir makes sure p is a real directory: created if missing, refused
// if something else (a symlink above all) is there. One that exists is
// cleaned of the temporary files an interrupted restore left (stale.go).
// fresh says that it was created here.
func (r *restorer) ensureDir(p string) (fresh bool, err error) {
	fi, err := r.root.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		if err := r.root.Mkdir(p, 0o700); err != nil {
			return false, fmt.Errorf("create directory %s: %w", p, err)
		}
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("check directory %s: %w", p, err)
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("%s exists and is a %v, not a directory: %w", p, fi.Mode().Type(), ErrLayout)
	}
	return false, r.removeStaleIn(p)
}

func tempName(p string) string {
	return path.Join(path.Dir(p), ".velin-"+rand.Text()+".tmp")
}

// file writes e with the content and metadata of src (src is e, or the
// target of a hard link whose target is not restored). Every operation
// goes through the root r.dirs gives for e.Path. fresh says that its
// directory was created by this restore, so nothing is at e.Path yet.
func (r *restorer) file(ctx context.Context, e, src provider.Entry, fresh bool) error {
	if fresh {
		// nothing to compare with
	} else if fi, err := r.root.Lstat(e.Path); err == nil && r.sel.identical(ctx, r.root, e, fi) {
		return nil // already restored, by an earlier run perhaps
	}
	pre, err := r.openEarly(ctx, src)
	if err != nil {
		return err
	}
	defer r.doneEarly(pre)
	if err := r.gate.enter(ctx); err != nil {
		return err
	}
	defer r.gate.leave()
	dir, base, err := r.dirs.of(e.Path)
	if err != nil {
		return fmt.Errorf("restore %s: %w", e.Path, err)
	}
	tmp := tempName(base)
	f, err := dir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", e.Path, err)
	}
	deferred, err := r.fill(ctx, f, src, pre)
	return r.settle(ctx, placed{dir, tmp, base, e.Path}, f, src, deferred, err)
}

// placed is a temporary file of a restore and where it goes.
type placed struct {
	dir       *os.Root // the root of its directory
	tmp, base string   // its temporary and final names there
	path      string   // the entry path
}

// settle ends the temporary file f at t whose content and owner/mode
// were written (err nil) or failed (err): sets its times, closes it and
// renames it into place (now or, deferred, once the batch is durable),
// or removes it. Damaged snapshot data is recorded, not an error.
func (r *restorer) settle(ctx context.Context, t placed, f *os.File, src provider.Entry, deferred bool, err error) error {
	dir, tmp, base := t.dir, t.tmp, t.base
	if err == nil { // last: nothing writes to f after this
		err = setTimes(dir, tmp, f, src.ModTime)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err == nil && deferred:
		return r.batch.addIn(dir, tmp, base, t.path, src.Size) // renamed once durable
	case err == nil:
		err = dir.Rename(tmp, base)
	}
	if err != nil {
		_ = dir.Remove(tmp)
		if ctx.Err() == nil && isDamage(err) {
			r.damage(t.path, err)
			return nil
		}
		return fmt.Errorf("restore %s: %w", t.path, err)
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

// fill copies the content of src into f (opened early by pre, unless pre
// is nil) and sets owner and mode. It syncs f, or reports that the
// batch's sync will (deferred).
func (r *restorer) fill(ctx context.Context, f *os.File, src provider.Entry, pre *early) (deferred bool, err error) {
	if src.Size > 0 {
		rc, err := openContent(ctx, r.sel.tree, src, pre)
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
	return r.seal(f, src)
}

// seal sets owner and mode of f, whose content is written, and syncs it,
// or reports that the batch's sync will (deferred).
func (r *restorer) seal(f *os.File, src provider.Entry) (deferred bool, err error) {
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

func (r *restorer) symlink(e provider.Entry, fresh bool) error {
	if t, err := r.root.Readlink(e.Path); !fresh && err == nil && t == e.Target {
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

// hardlink links e to its restored target (chosen: restored into the same
// destination, already in place).
func (r *restorer) hardlink(e provider.Entry) error {
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

// dirMetadata sets owner, mode and times of a directory entry, once
// nothing writes into it any more (writing into a directory changes its
// mtime).
func (r *restorer) dirMetadata(e provider.Entry) error {
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
	return nil
}

// openContent returns the content of src: pre's, which it takes, or
// opened now.
func openContent(ctx context.Context, tree provider.Tree, src provider.Entry, pre *early) (io.ReadCloser, error) {
	if pre == nil {
		return openSnapshot(ctx, tree, src)
	}
	rc := pre.rc
	pre.rc = nil
	return rc, pre.err
}
