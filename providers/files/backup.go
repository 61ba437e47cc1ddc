package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/sync/errgroup"

	"github.com/velinhq/velin/providers/provider"
)

// readers is how many files a backup reads at once.
const readers = 4

// Sentinel errors.
var (
	ErrChanged = errors.New("file shrank while it was read")
	ErrEscape  = errors.New("path escapes the restore destination")
	ErrLayout  = errors.New("tree cannot be restored safely")
)

// Inspect implements provider.Source: it walks the roots without reading
// any content. Facts list what the walk leaves out (Skipped) and what it
// cannot read (Incomplete).
func (s *Source) Inspect(ctx context.Context) (provider.Facts, error) {
	facts := provider.Facts{Type: TypeName, Identity: s.identity()}
	log := &tally{}
	err := s.walk(ctx, log, func(e provider.Entry, _ at, _ fs.FileInfo) error {
		if e.Kind == provider.KindFile {
			facts.Files++
			facts.Bytes += e.Size
		}
		return nil
	})
	if err != nil {
		return provider.Facts{}, inspectError(err)
	}
	log.fill(&facts)
	return facts, nil
}

// inspectError prefixes err, unless it is a diagnostic that says where.
func inspectError(err error) error {
	var diags hcl.Diagnostics
	if errors.As(err, &diags) {
		return err
	}
	return fmt.Errorf("inspect files: %w", err)
}

// Backup implements provider.Source. An entry that cannot be read, or
// changes while it is read, does not stop the backup: it is stored as
// read (a file that shrank) or left out, listed in Facts.Incomplete, and
// Backup returns the facts with a *provider.Partial.
func (s *Source) Backup(ctx context.Context, sink provider.Sink, opts provider.BackupOptions) (provider.Facts, error) {
	b := &backup{sink: sink, opts: opts, log: &tally{}, failed: map[string]bool{}}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readers + 1)
	b.g, b.ctx = g, gctx
	g.Go(func() error { return s.walk(gctx, b.log, b.visit) })
	if err := g.Wait(); err != nil {
		return provider.Facts{}, inspectError(fmt.Errorf("backup files: %w", err))
	}
	facts := provider.Facts{Type: TypeName, Identity: s.identity(), Files: b.files.Load(), Bytes: b.bytes.Load()}
	b.log.fill(&facts)
	return facts, b.log.partial("backup files")
}

// backup is one run of Backup.
type backup struct {
	sink   provider.Sink
	opts   provider.BackupOptions
	log    *tally
	g      *errgroup.Group
	ctx    context.Context
	failed map[string]bool // files not stored (walk goroutine only): their hard links go too

	files, bytes atomic.Int64
}

// visit stores one entry. A file is opened here, relative to its directory
// and checked against the walk, and read by another goroutine.
func (b *backup) visit(e provider.Entry, a at, fi fs.FileInfo) error {
	switch {
	case e.Kind == provider.KindHardlink && b.failed[e.Target]:
		b.log.fail(e.Path, "skip", fmt.Errorf("hard link to %s, which was not backed up", e.Target))
		return nil
	case e.Kind != provider.KindFile:
		return b.sink.Put(b.ctx, e, nil)
	case b.opts.Incremental && unchanged(b.sink, e):
		b.count(e.Size)
		return b.sink.Reuse(b.ctx, e)
	case e.Size == 0:
		b.count(0)
		return b.sink.Put(b.ctx, e, nil)
	}
	f, err := a.open(fi, false)
	if errors.Is(err, fs.ErrNotExist) {
		b.failed[e.Path] = true // vanished: not an error
		return nil
	}
	if err != nil {
		b.failed[e.Path] = true
		b.log.fail(e.Path, "open", err)
		return nil
	}
	b.g.Go(func() error {
		defer f.Close()
		return b.putFile(e, f)
	})
	return nil
}

func (b *backup) count(size int64) {
	b.files.Add(1)
	b.bytes.Add(size)
}

// unchanged says whether the parent snapshot has e with the same size,
// mtime, inode and ctime.
func unchanged(sink provider.Sink, e provider.Entry) bool {
	p, ok := sink.Parent(e.Path)
	return ok && p.Kind == provider.KindFile && p.Size == e.Size && p.ModTime.Equal(e.ModTime) &&
		p.Inode == e.Inode && p.ChangeTime.Equal(e.ChangeTime)
}

// putFile stores one open file. A file that shrank, or that fails to read
// midway (an I/O error), is stored as read and noted: its entry stays in
// the tree, so hard links to it still have their target. Other errors
// (the repository's) stop the backup.
func (b *backup) putFile(e provider.Entry, f *os.File) error {
	r := &exactReader{r: f, left: e.Size, path: f.Name()}
	if err := b.sink.Put(b.ctx, e, r); err != nil {
		return fmt.Errorf("store %s: %w", e.Path, err)
	}
	read := e.Size - r.left
	switch {
	case r.err != nil:
		b.log.fail(e.Path, "read", fmt.Errorf("%w; stored the first %d of %d bytes", r.err, read, e.Size))
	case r.short:
		b.log.fail(e.Path, "read", fmt.Errorf("%w: %d bytes when the walk saw it, %d when read; stored as read", ErrChanged, e.Size, read))
	}
	b.count(read)
	return nil
}

// exactReader yields at most left bytes: a file that grows is cut at the
// size the entry recorded; one that shrinks ends early (short), and so
// does one that fails to read (err).
type exactReader struct {
	r     io.Reader
	left  int64
	path  string
	short bool
	err   error
}

func (x *exactReader) Read(p []byte) (int, error) {
	if x.left <= 0 || x.err != nil {
		return 0, io.EOF
	}
	if int64(len(p)) > x.left {
		p = p[:x.left]
	}
	n, err := x.r.Read(p)
	x.left -= int64(n)
	switch {
	case errors.Is(err, io.EOF) && x.left > 0:
		x.short = true
		return n, io.EOF
	case err != nil && !errors.Is(err, io.EOF):
		x.err = err
		return n, io.EOF
	case x.left == 0:
		return n, io.EOF
	}
	return n, nil
}
