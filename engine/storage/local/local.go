package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/internal/directio"
)

var (
	// ErrInvalidName is wrapped by every error about a malformed object name.
	ErrInvalidName = storage.ErrInvalidName
	// ErrInvalidRange is storage.ErrInvalidRange.
	ErrInvalidRange = storage.ErrInvalidRange
	// ErrSizeMismatch is returned by Put when the reader's length differs
	// from the size the caller announced; nothing is stored.
	ErrSizeMismatch = errors.New("size mismatch")
)

// copyBufSize is the buffer used to copy a Put's reader to its file.
const copyBufSize = 1 << 20

// Storage is a storage.Storage in a local directory. It is safe for
// concurrent use, also by several processes sharing the directory.
type Storage struct {
	dir  string // absolute
	now  func() time.Time
	bufs sync.Pool
}

var _ storage.Storage = (*Storage)(nil)

// New opens the storage in dir, creating it (mode 0700) if missing.
func New(dir string) (*Storage, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open local storage %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("open local storage %s: %w", abs, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("open local storage %s: %w", abs, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("open local storage %s: not a directory", abs)
	}
	s := &Storage{dir: abs, now: time.Now}
	s.bufs.New = func() any { b := directio.AlignedBuf(copyBufSize); return &b }
	return s, nil
}

// Location returns the absolute directory.
func (s *Storage) Location() string { return s.dir }

func (s *Storage) path(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	return filepath.Join(s.dir, filepath.FromSlash(name)), nil
}

// Put stores the object atomically and durably (see the package doc).
func (s *Storage) Put(ctx context.Context, name string, r io.Reader, size int64, opts storage.PutOptions) error {
	if err := s.put(ctx, name, r, size, opts); err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	return nil
}

func (s *Storage) put(ctx context.Context, name string, r io.Reader, size int64, opts storage.PutOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := s.path(name)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	f, err := s.createTemp(dir)
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = s.fill(ctx, f, r, size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = commit(tmp, p, opts.IfAbsent)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// commit makes the temp file visible under its final name. With ifAbsent
// it links instead of renaming (link fails if the name exists) and then
// removes the temp name.
func commit(tmp, p string, ifAbsent bool) error {
	if !ifAbsent {
		return os.Rename(tmp, p)
	}
	err := os.Link(tmp, p)
	if errors.Is(err, fs.ErrExist) {
		return storage.ErrExists
	}
	if err == nil {
		os.Remove(tmp) // if this fails the temp file is debris for CleanTemp
	}
	return err
}

// fill copies r into f, checks the announced size and fsyncs f.
func (s *Storage) fill(ctx context.Context, f *os.File, r io.Reader, size int64) error {
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	n, err := copyCtx(ctx, f, r, *bp, size >= directMin)
	if err != nil {
		return err
	}
	if size >= 0 && n != size {
		return fmt.Errorf("%w: read %d bytes, expected %d", ErrSizeMismatch, n, size)
	}
	return f.Sync()
}

// createTemp creates a temporary file in dir, creating dir (durably) if it
// is missing.
func (s *Storage) createTemp(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return f, err
	}
	if err := s.mkdirAll(dir); err != nil {
		return nil, err
	}
	return os.CreateTemp(dir, tempPrefix+"*")
}

// mkdirAll creates dir and fsyncs every directory between it and the root so
// the new entries survive a crash.
func (s *Storage) mkdirAll(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for d := dir; d != s.dir && len(d) > len(s.dir); {
		d = filepath.Dir(d)
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// isNotExist reports whether err means that no file is at the path,
// including a path through a regular file ("a/b" where "a" is a file).
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
