package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/velinhq/velin/providers/provider"
)

// readers is how many files a backup reads at once.
const readers = 4

// Sentinel errors.
var (
	ErrChanged = errors.New("file changed size while it was read")
	ErrEscape  = errors.New("path escapes the restore destination")
	ErrLayout  = errors.New("tree cannot be restored safely")
)

// Inspect implements provider.Source: it walks the roots without reading
// any content.
func (s *Source) Inspect(ctx context.Context) (provider.Facts, error) {
	facts := provider.Facts{Type: TypeName, Identity: s.identity()}
	err := s.walk(ctx, func(e provider.Entry, _ string) error {
		if e.Kind == provider.KindFile {
			facts.Files++
			facts.Bytes += e.Size
		}
		return nil
	})
	if err != nil {
		return provider.Facts{}, fmt.Errorf("inspect files: %w", err)
	}
	return facts, nil
}

// Backup implements provider.Source.
func (s *Source) Backup(ctx context.Context, sink provider.Sink, opts provider.BackupOptions) (provider.Facts, error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readers + 1)
	var files, bytes atomic.Int64
	g.Go(func() error {
		return s.walk(gctx, func(e provider.Entry, abs string) error {
			if e.Kind != provider.KindFile {
				return sink.Put(gctx, e, nil)
			}
			if opts.Incremental && unchanged(sink, e) {
				files.Add(1)
				bytes.Add(e.Size)
				return sink.Reuse(gctx, e)
			}
			g.Go(func() error {
				stored, err := putFile(gctx, sink, e, abs)
				if stored {
					files.Add(1)
					bytes.Add(e.Size)
				}
				return err
			})
			return nil
		})
	})
	if err := g.Wait(); err != nil {
		return provider.Facts{}, fmt.Errorf("backup files: %w", err)
	}
	return provider.Facts{Type: TypeName, Identity: s.identity(), Files: files.Load(), Bytes: bytes.Load()}, nil
}

// unchanged says whether the parent snapshot has e with the same size,
// mtime, inode and ctime.
func unchanged(sink provider.Sink, e provider.Entry) bool {
	p, ok := sink.Parent(e.Path)
	return ok && p.Kind == provider.KindFile && p.Size == e.Size && p.ModTime.Equal(e.ModTime) &&
		p.Inode == e.Inode && p.ChangeTime.Equal(e.ChangeTime)
}

// putFile stores one file. A file that vanished is skipped (false, nil).
func putFile(ctx context.Context, sink provider.Sink, e provider.Entry, abs string) (bool, error) {
	if e.Size == 0 {
		return true, sink.Put(ctx, e, nil)
	}
	f, err := os.Open(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", abs, err)
	}
	defer f.Close()
	r := &exactReader{r: f, left: e.Size, path: abs}
	if err := sink.Put(ctx, e, r); err != nil {
		return false, fmt.Errorf("store %s: %w", e.Path, err)
	}
	return true, nil
}

// exactReader yields exactly left bytes: a file that grows is cut at the
// size the entry recorded, one that shrinks is an error.
type exactReader struct {
	r    io.Reader
	left int64
	path string
}

func (x *exactReader) Read(p []byte) (int, error) {
	if x.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > x.left {
		p = p[:x.left]
	}
	n, err := x.r.Read(p)
	x.left -= int64(n)
	if errors.Is(err, io.EOF) && x.left > 0 {
		return n, fmt.Errorf("read %s: %w", x.path, ErrChanged)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return n, fmt.Errorf("read %s: %w", x.path, err)
	}
	if x.left == 0 {
		return n, io.EOF
	}
	return n, nil
}
