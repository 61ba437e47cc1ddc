package repotest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/velinhq/velin/engine/storage"
)

// Mem is an in-memory storage.Storage. Safe for concurrent use.
type Mem struct {
	mu    sync.Mutex
	objs  map[string][]byte
	mod   map[string]time.Time
	clock func() time.Time
}

var _ storage.Storage = (*Mem)(nil)

// NewMem returns an empty storage whose clock is time.Now.
func NewMem() *Mem {
	return &Mem{objs: map[string][]byte{}, mod: map[string]time.Time{}, clock: time.Now}
}

// SetClock makes the storage stamp later writes with clock's time (tests of
// safety margins move it forward).
func (m *Mem) SetClock(clock func() time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clock = clock
}

// Age moves the ModTime of every object with the given prefix d back (for
// tests: as if written d earlier).
func (m *Mem) Age(prefix string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, t := range m.mod {
		if strings.HasPrefix(name, prefix) {
			m.mod[name] = t.Add(-d)
		}
	}
}

// info describes a stored object; m.mu is held.
func (m *Mem) info(name string) storage.ObjectInfo {
	return storage.ObjectInfo{Name: name, Size: int64(len(m.objs[name])), ModTime: m.mod[name]}
}

// Put stores a copy of r's content.
func (m *Mem) Put(ctx context.Context, name string, r io.Reader, size int64, opts storage.PutOptions) error {
	if err := check(ctx, name); err != nil {
		return err
	}
	data, err := io.ReadAll(ctxReader{ctx, r})
	if err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	if size >= 0 && int64(len(data)) != size {
		return fmt.Errorf("put %s: read %d bytes, want %d", name, len(data), size)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[name]; ok && opts.IfAbsent {
		return fmt.Errorf("put %s: %w", name, storage.ErrExists)
	}
	m.objs[name] = data
	m.mod[name] = m.clock()
	return nil
}

func (m *Mem) get(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.objs[name]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", name, storage.ErrNotFound)
	}
	return d, nil
}

// Get opens a whole object.
func (m *Mem) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	return m.GetRange(ctx, name, 0, -1)
}

// GetRange opens part of an object; a range past the end is cut short.
func (m *Mem) GetRange(ctx context.Context, name string, off, n int64) (io.ReadCloser, error) {
	if err := check(ctx, name); err != nil {
		return nil, err
	}
	d, err := m.get(name)
	if err != nil {
		return nil, err
	}
	if off < 0 || off > int64(len(d)) {
		return nil, fmt.Errorf("get %s: offset %d of %d bytes: %w", name, off, len(d), storage.ErrInvalidRange)
	}
	d = d[off:]
	if n >= 0 && n < int64(len(d)) {
		d = d[:n]
	}
	return io.NopCloser(bytes.NewReader(d)), nil
}

// Stat describes an object.
func (m *Mem) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	if err := check(ctx, name); err != nil {
		return storage.ObjectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[name]; !ok {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", name, storage.ErrNotFound)
	}
	return m.info(name), nil
}

// List calls fn for a snapshot of the matching objects.
func (m *Mem) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	var infos []storage.ObjectInfo
	for name := range m.objs {
		if strings.HasPrefix(name, prefix) {
			infos = append(infos, m.info(name))
		}
	}
	m.mu.Unlock()
	for _, i := range infos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(i); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes an object; a missing one is no error.
func (m *Mem) Delete(ctx context.Context, name string) error {
	if err := check(ctx, name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, name)
	delete(m.mod, name)
	return nil
}

// Location names the storage.
func (m *Mem) Location() string { return "memory" }

// Names lists the stored object names with the given prefix (for tests).
func (m *Mem) Names(prefix string) []string {
	var out []string
	_ = m.List(context.Background(), prefix, func(i storage.ObjectInfo) error {
		out = append(out, i.Name)
		return nil
	})
	return out
}

// Corrupt flips one byte of an object at off (for tests). It reports
// whether the object exists and is long enough.
func (m *Mem) Corrupt(name string, off int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.objs[name]
	if !ok || off >= len(d) {
		return false
	}
	c := bytes.Clone(d)
	c[off] ^= 0x40
	m.objs[name] = c
	return true
}

// check rejects a canceled context and names outside the contract.
func check(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if name == "" || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") {
		return fmt.Errorf("invalid object name %q", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("invalid object name %q", name)
		}
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || c == '\\' {
			return fmt.Errorf("invalid object name %q", name)
		}
	}
	return nil
}

// ctxReader fails reads once ctx is canceled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
