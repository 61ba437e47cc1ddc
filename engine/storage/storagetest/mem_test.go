package storagetest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/local"
)

// memStorage is an in-memory storage.Storage with switchable bugs, to show
// that the suite passes a correct implementation and catches broken ones.
type memStorage struct {
	bug  string // "" for a correct storage
	mu   sync.Mutex
	objs map[string][]byte
	mod  map[string]time.Time
}

func newMem(bug string) *memStorage {
	return &memStorage{bug: bug, objs: map[string][]byte{}, mod: map[string]time.Time{}}
}

// info describes a stored object; m.mu is held.
func (m *memStorage) info(name string) storage.ObjectInfo {
	oi := storage.ObjectInfo{Name: name, Size: int64(len(m.objs[name]))}
	if m.bug != "no-modtime" {
		oi.ModTime = m.mod[name]
	}
	return oi
}

func (m *memStorage) check(ctx context.Context, name string) error {
	if m.bug != "ignore-ctx" {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if m.bug != "no-validate" {
		return local.ValidateName(name)
	}
	return nil
}

func (m *memStorage) Put(ctx context.Context, name string, r io.Reader, size int64, opts storage.PutOptions) error {
	if err := m.check(ctx, name); err != nil {
		return err
	}
	data, err := m.read(ctx, r)
	if err != nil && m.bug != "keep-partial" {
		return fmt.Errorf("put %s: %w", name, err)
	}
	if size >= 0 && int64(len(data)) != size && m.bug != "ignore-size" {
		return fmt.Errorf("put %s: size mismatch", name)
	}
	if m.bug == "truncate-big" && len(data) > 16<<20 {
		data = data[:16<<20]
	}
	if c, ok := r.(io.Closer); ok && m.bug == "close-reader" {
		c.Close()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[name]; ok && opts.IfAbsent && m.bug != "no-ifabsent" {
		return storage.ErrExists
	}
	m.objs[name] = data
	m.mod[name] = time.Now()
	return nil
}

func (m *memStorage) read(ctx context.Context, r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	chunk := make([]byte, 64<<10)
	for {
		if err := ctx.Err(); err != nil && m.bug != "ignore-ctx" {
			return buf.Bytes(), err
		}
		n, err := r.Read(chunk)
		buf.Write(chunk[:n])
		if err == io.EOF {
			return buf.Bytes(), nil
		}
		if err != nil {
			return buf.Bytes(), err
		}
	}
}

func (m *memStorage) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	return m.GetRange(ctx, name, 0, -1)
}

func (m *memStorage) GetRange(ctx context.Context, name string, off, length int64) (io.ReadCloser, error) {
	if err := m.check(ctx, name); err != nil {
		return nil, err
	}
	m.mu.Lock()
	data, ok := m.objs[name]
	m.mu.Unlock()
	if !ok && m.bug == "missing-is-empty" {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	if !ok {
		return nil, storage.ErrNotFound
	}
	n := int64(len(data))
	if off > n && m.bug == "past-end-empty" {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	if off < 0 || off > n || (m.bug == "strict-range" && length > 0 && off+length > n) {
		return nil, fmt.Errorf("bad range: %w", storage.ErrInvalidRange)
	}
	if m.bug == "range-off-by-one" && off > 0 {
		off--
	}
	end := n
	if length >= 0 && off+length < n {
		end = off + length
	}
	return io.NopCloser(bytes.NewReader(data[off:end])), nil
}

func (m *memStorage) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	if err := m.check(ctx, name); err != nil {
		return storage.ObjectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[name]; !ok {
		return storage.ObjectInfo{}, storage.ErrNotFound
	}
	return m.info(name), nil
}

func (m *memStorage) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if err := ctx.Err(); err != nil && m.bug != "ignore-ctx" {
		return err
	}
	m.mu.Lock()
	var infos []storage.ObjectInfo
	for n := range m.objs {
		match := strings.HasPrefix(n, prefix)
		if m.bug == "list-whole-segments" && prefix != "" && !strings.HasSuffix(prefix, "/") {
			match = n == prefix || strings.HasPrefix(n, prefix+"/")
		}
		if match {
			infos = append(infos, m.info(n))
		}
	}
	m.mu.Unlock()
	for _, oi := range infos {
		if err := fn(oi); err != nil && m.bug != "list-ignores-fn-error" {
			return err
		}
	}
	return nil
}

func (m *memStorage) Delete(ctx context.Context, name string) error {
	if err := m.check(ctx, name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[name]; !ok && m.bug == "delete-missing-fails" {
		return storage.ErrNotFound
	}
	delete(m.objs, name)
	delete(m.mod, name)
	return nil
}

func (m *memStorage) Location() string { return "memory" }
