package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/velinhq/velin/engine/storage"
)

// Get opens the whole object.
func (s *Storage) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	f, _, err := s.open(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	return f, nil
}

// GetRange opens length bytes at offset; length < 0 means to the end. A
// range running past the end of the object is cut at the end; an offset past
// the end is ErrInvalidRange.
func (s *Storage) GetRange(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	f, size, err := s.open(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	if offset < 0 || offset > size {
		f.Close()
		return nil, fmt.Errorf("get %s: %w: offset %d, size %d", name, ErrInvalidRange, offset, size)
	}
	if length < 0 || length > size-offset {
		length = size - offset
	}
	return sectionCloser{io.NewSectionReader(f, offset, length), f}, nil
}

type sectionCloser struct {
	*io.SectionReader
	io.Closer
}

// open opens the regular file of an object and returns its size.
func (s *Storage) open(ctx context.Context, name string) (*os.File, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	p, err := s.path(name)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(p)
	if isNotExist(err) {
		return nil, 0, storage.ErrNotFound
	}
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = storage.ErrNotFound
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// Stat describes one object.
func (s *Storage) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	fi, err := s.lstat(ctx, name)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", name, err)
	}
	return info(name, fi), nil
}

// info is the ObjectInfo of a file.
func info(name string, fi fs.FileInfo) storage.ObjectInfo {
	return storage.ObjectInfo{Name: name, Size: fi.Size(), ModTime: fi.ModTime()}
}

// lstat returns the file info of an object, ErrNotFound unless it is a
// regular file.
func (s *Storage) lstat(ctx context.Context, name string) (fs.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := s.path(name)
	if err != nil {
		return nil, err
	}
	fi, err := os.Lstat(p)
	if isNotExist(err) || (err == nil && !fi.Mode().IsRegular()) {
		return nil, storage.ErrNotFound
	}
	return fi, err
}

// Delete removes an object; a missing one is no error. A directory of that
// name ("dir" when "dir/x" exists) is not an object and stays.
func (s *Storage) Delete(ctx context.Context, name string) error {
	_, err := s.lstat(ctx, name)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err == nil {
		err = os.Remove(filepath.Join(s.dir, filepath.FromSlash(name)))
	}
	if err != nil && !isNotExist(err) {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
}

// List calls fn for every object whose name starts with prefix. Temporary
// files are skipped.
func (s *Storage) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if err := s.walk(ctx, prefix, func(name string, d fs.DirEntry) error {
		if strings.HasPrefix(d.Name(), tempPrefix) || !strings.HasPrefix(name, prefix) {
			return nil
		}
		fi, err := d.Info()
		if isNotExist(err) {
			return nil // deleted while listing
		}
		if err != nil {
			return err
		}
		return fn(info(name, fi))
	}); err != nil {
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	return nil
}

// walk calls fn for every regular file (temporary ones included) in the
// directories that can hold names starting with prefix, with its slash name.
func (s *Storage) walk(ctx context.Context, prefix string, fn func(name string, d fs.DirEntry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir, err := prefixDir(prefix)
	if err != nil {
		return err
	}
	root := filepath.Join(s.dir, filepath.FromSlash(dir))
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if isNotExist(err) {
				return nil // root missing, or removed while walking
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(s.dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if d.IsDir() {
			if p != root && !strings.HasPrefix(name+"/", prefix) && !strings.HasPrefix(prefix, name+"/") {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return fn(name, d)
	})
	return err
}

// CleanTemp removes the temporary files that crashed writers left behind,
// if they were last modified more than olderThan ago, and returns how many
// it removed. Writers in progress keep their temporary files fresh, so an
// olderThan of a few hours is safe while other processes write.
func (s *Storage) CleanTemp(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := s.now().Add(-olderThan)
	removed := 0
	err := s.walk(ctx, "", func(name string, d fs.DirEntry) error {
		if !strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		fi, err := d.Info()
		if isNotExist(err) {
			return nil
		}
		if err != nil || !fi.ModTime().Before(cutoff) {
			return err
		}
		err = os.Remove(filepath.Join(s.dir, filepath.FromSlash(name)))
		if err == nil {
			removed++
		} else if isNotExist(err) {
			err = nil
		}
		return err
	})
	if err != nil {
		return removed, fmt.Errorf("clean temporary files: %w", err)
	}
	return removed, nil
}
