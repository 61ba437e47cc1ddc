package files

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

const (
	// readFiles and readBytes bound the files a restore hands a
	// provider.Batcher at once: it reads their content pack by pack, one
	// read for all the files that need a pack's bytes, so the larger the
	// batch the fewer the reads. Its memory is the batch's entries and
	// blob list (about 200 bytes a file and 100 a chunk), two batches at
	// most (one read, one gathered): each file's entry is held once (a
	// gathered file's source only when it differs, a read file's in its
	// provider.BatchFile), the files being read keep only the metadata
	// they set (fileMeta).
	readFiles = 8192
	readBytes = 8 << 30
)

// A batchJob is a file of the batch being gathered: e written with the
// content and metadata of src (see restorer.file); src nil is e itself.
type batchJob struct {
	e     provider.Entry
	src   *provider.Entry
	fresh bool
}

// source is the entry whose content and metadata the job writes.
func (j *batchJob) source() *provider.Entry {
	if j.src != nil {
		return j.src
	}
	return &j.e
}

// batcher is the restorer's batch being gathered, and the slot of the
// one being read.
type batcher struct {
	tree  provider.Batcher // nil: the tree reads file by file
	jobs  []batchJob
	bytes int64
	slot  chan struct{} // holds a token while a batch is read
}

func newBatcher(tree provider.Tree) batcher {
	b, _ := tree.(provider.Batcher)
	return batcher{tree: b, slot: make(chan struct{}, 1)}
}

// queue adds a file with content to the batch, when the tree reads in
// batches, and starts the batch once full. It tells whether it took e.
// src is the entry whose content e gets (nil: e's own).
func (r *restorer) queue(e provider.Entry, src *provider.Entry, fresh bool) (bool, error) {
	b := &r.batcher
	size := e.Size
	if src != nil {
		size = src.Size
	}
	if b.tree == nil || size == 0 {
		return false, nil
	}
	b.jobs = append(b.jobs, batchJob{e: e, src: src, fresh: fresh})
	b.bytes += size
	if len(b.jobs) >= readFiles || b.bytes >= readBytes {
		return true, r.startBatch()
	}
	return true, nil
}

// startBatch hands the gathered files to a writer goroutine, once the
// batch before it is read.
func (r *restorer) startBatch() error {
	b := &r.batcher
	if len(b.jobs) == 0 {
		return nil
	}
	jobs := b.jobs
	b.jobs, b.bytes = nil, 0
	select {
	case b.slot <- struct{}{}:
	case <-r.gctx.Done():
		if err := r.g.Wait(); err != nil {
			return err
		}
		return r.ctx.Err()
	}
	ctx := r.gctx
	r.g.Go(func() error {
		defer func() { <-b.slot }()
		outs, files, err := r.batchFiles(ctx, jobs)
		jobs = nil // what the read needs is in files and outs now
		if err != nil {
			return err
		}
		return r.fileBatch(ctx, outs, files)
	})
	return nil
}

// batchFiles turns jobs into the files of a ReadBatch, leaving out those
// already restored.
func (r *restorer) batchFiles(ctx context.Context, jobs []batchJob) ([]*batchOut, []provider.BatchFile, error) {
	outs := make([]*batchOut, 0, len(jobs))
	files := make([]provider.BatchFile, 0, len(jobs))
	for i := range jobs {
		j := &jobs[i]
		if !j.fresh {
			if fi, err := r.root.Lstat(j.e.Path); err == nil && r.sel.identical(ctx, r.root, j.e, fi) {
				continue // already restored
			}
		}
		dir, base, err := r.dirs.of(j.e.Path)
		if err != nil {
			return nil, nil, fmt.Errorf("restore %s: %w", j.e.Path, err)
		}
		src := j.source()
		o := &batchOut{r: r, ctx: ctx, meta: metaOf(src), at: placed{dir, tempName(base), base, j.e.Path}}
		outs = append(outs, o)
		files = append(files, provider.BatchFile{Entry: *src, Out: o, Done: o.done})
	}
	return outs, files, nil
}

// fileBatch restores files through the tree's ReadBatch: each file is
// written to a temporary file, opened at its first write and settled
// (see restorer.settle) when its last arrives. When the batch fails, the
// temporary files not settled yet are removed.
func (r *restorer) fileBatch(ctx context.Context, outs []*batchOut, files []provider.BatchFile) error {
	err := r.batcher.tree.ReadBatch(ctx, files)
	for _, o := range outs {
		if oerr := o.abandon(); err == nil {
			err = oerr
		}
	}
	if err != nil {
		return fmt.Errorf("restore files: %w", err)
	}
	return nil
}

// fileMeta is what a file being read needs of its entry once written:
// its size, holes, owner, mode and time (see restorer.seal and settle).
type fileMeta struct {
	size     int64
	modTime  time.Time
	mode     fs.FileMode
	uid, gid uint32
	sparse   bool
}

func metaOf(e *provider.Entry) fileMeta {
	return fileMeta{size: e.Size, modTime: e.ModTime, mode: e.Mode, uid: e.UID, gid: e.GID, sparse: e.Sparse}
}

// entry is an Entry with the metadata m keeps.
func (m fileMeta) entry() provider.Entry {
	return provider.Entry{Kind: provider.KindFile, Size: m.size, ModTime: m.modTime, Mode: m.mode,
		UID: m.uid, GID: m.gid, Sparse: m.sparse}
}

// batchOut is one file of a batch: its temporary file, opened at the
// first write.
type batchOut struct {
	r    *restorer
	ctx  context.Context
	meta fileMeta
	at   placed

	mu      sync.Mutex
	f       *os.File
	settled bool
	werr    error // of a write: not damage
	err     error // of settling: not damage, fails the restore
}

func (o *batchOut) open() (*os.File, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil && !o.settled {
		f, err := o.at.dir.OpenFile(o.at.tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", o.at.path, err)
		}
		if !o.meta.sparse {
			preallocate(f, o.meta.size)
		}
		o.f = f
	}
	if o.f == nil {
		return nil, fmt.Errorf("write %s: already settled", o.at.path)
	}
	return o.f, nil
}

// WriteAt writes p at off of the temporary file; a sparse file's zero
// blocks are left as holes.
func (o *batchOut) WriteAt(p []byte, off int64) (int, error) {
	if o.meta.sparse && allZero(p) {
		return len(p), nil
	}
	f, err := o.open()
	if err != nil {
		return 0, err
	}
	n, err := f.WriteAt(p, off)
	if err != nil {
		o.mu.Lock()
		o.werr = err
		o.mu.Unlock()
	}
	return n, err
}

// done settles the file: err is damage of its snapshot data, or a
// failed write.
func (o *batchOut) done(err error) {
	f, oerr := o.open()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.settled = true
	if oerr != nil {
		o.err = oerr
		return
	}
	if err != nil && o.werr == nil {
		err = damaged{err} // the snapshot's data is damaged
	}
	deferred := false
	if err == nil && o.meta.sparse {
		err = f.Truncate(o.meta.size)
	}
	src := o.meta.entry()
	if err == nil {
		startWriteback(f) // the content is all there
		deferred, err = o.r.seal(f, src)
	}
	o.err = o.r.settle(o.ctx, o.at, f, src, deferred, err)
	o.f = nil
}

// abandon removes the temporary file of a file the batch left unsettled
// and returns the error settling met, if any.
func (o *batchOut) abandon() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.settled && o.f != nil {
		o.f.Close()
		_ = o.at.dir.Remove(o.at.tmp)
		o.f = nil
	}
	if !o.settled {
		o.settled = true
		return fmt.Errorf("restore %s: left unfinished", o.at.path)
	}
	return o.err
}
