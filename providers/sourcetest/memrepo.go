package sourcetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/velinhq/velin/providers/provider"
)

// Sentinel errors of the in-memory snapshots.
var (
	ErrNoContent  = errors.New("no content for entry")
	ErrReuseEmpty = errors.New("reuse without a parent entry")
)

// MemSnapshot is one in-memory snapshot being written: a provider.Sink that
// stores entries and content in maps. Parent and Reuse look at the parent
// snapshot given to NewMemSnapshot. Safe for concurrent use.
type MemSnapshot struct {
	parent *MemTree

	mu      sync.Mutex
	entries map[string]provider.Entry
	content map[string][]byte

	puts, reuses atomic.Int64
}

// NewMemSnapshot starts a snapshot whose parent is parent (nil: a full
// backup with no parent).
func NewMemSnapshot(parent *MemTree) *MemSnapshot {
	return &MemSnapshot{
		parent:  parent,
		entries: map[string]provider.Entry{},
		content: map[string][]byte{},
	}
}

// Put implements provider.Sink.
func (s *MemSnapshot) Put(ctx context.Context, e provider.Entry, r io.Reader) error {
	var data []byte
	if e.Kind == provider.KindFile && r != nil {
		var err error
		if data, err = io.ReadAll(r); err != nil {
			return fmt.Errorf("put %s: %w", e.Path, err)
		}
		if e.Size != provider.SizeUnknown && int64(len(data)) != e.Size {
			return fmt.Errorf("put %s: read %d bytes, entry says %d", e.Path, len(data), e.Size)
		}
		e.Size = int64(len(data))
	}
	s.puts.Add(1)
	return s.store(e, data)
}

// Parent implements provider.Sink.
func (s *MemSnapshot) Parent(path string) (provider.Entry, bool) {
	if s.parent == nil {
		return provider.Entry{}, false
	}
	e, ok := s.parent.entries[path]
	return e, ok
}

// Reuse implements provider.Sink.
func (s *MemSnapshot) Reuse(ctx context.Context, e provider.Entry) error {
	if s.parent == nil {
		return fmt.Errorf("reuse %s: %w", e.Path, ErrReuseEmpty)
	}
	data, ok := s.parent.content[e.Path]
	if !ok {
		return fmt.Errorf("reuse %s: %w", e.Path, ErrReuseEmpty)
	}
	s.reuses.Add(1)
	return s.store(e, data)
}

func (s *MemSnapshot) store(e provider.Entry, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.entries[e.Path]; dup {
		return fmt.Errorf("put %s: entry stored twice", e.Path)
	}
	e.Handle = nil
	s.entries[e.Path] = e
	if e.Kind == provider.KindFile {
		s.content[e.Path] = data
	}
	return nil
}

// Counts returns how many entries were stored with Put and with Reuse.
func (s *MemSnapshot) Counts() (puts, reuses int64) {
	return s.puts.Load(), s.reuses.Load()
}

// Finish ends the snapshot and returns its tree.
func (s *MemSnapshot) Finish() *MemTree {
	s.mu.Lock()
	defer s.mu.Unlock()
	return NewMemTree(s.entries, s.content)
}

// MemTree is a finished in-memory snapshot: a provider.Tree. It is immutable
// and safe for concurrent use.
type MemTree struct {
	entries map[string]provider.Entry
	content map[string][]byte
	order   []string
}

// NewMemTree builds a tree from entries keyed by path and the content of
// the file entries (a missing content is an empty file). Tests use it to
// craft trees a backup would never produce (hostile paths).
func NewMemTree(entries map[string]provider.Entry, content map[string][]byte) *MemTree {
	t := &MemTree{entries: map[string]provider.Entry{}, content: map[string][]byte{}}
	for p, e := range entries {
		t.entries[p] = e
		t.order = append(t.order, p)
	}
	for p, c := range content {
		t.content[p] = c
	}
	sort.Slice(t.order, func(i, j int) bool { return PathLess(t.order[i], t.order[j]) })
	return t
}

// PathLess orders slash-separated paths component by component, so that a
// directory comes right before its children ("a", "a/b", "a.txt").
func PathLess(a, b string) bool {
	ac, bc := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(ac) && i < len(bc); i++ {
		if ac[i] != bc[i] {
			return ac[i] < bc[i]
		}
	}
	return len(ac) < len(bc)
}

// Walk implements provider.Tree.
func (t *MemTree) Walk(ctx context.Context, fn func(provider.Entry) error) error {
	for _, p := range t.order {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := t.entries[p]
		e.Handle = p
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// Open implements provider.Tree.
func (t *MemTree) Open(ctx context.Context, e provider.Entry) (io.ReadCloser, error) {
	key, ok := e.Handle.(string)
	if !ok || e.Kind != provider.KindFile {
		return nil, fmt.Errorf("open %s: %w", e.Path, ErrNoContent)
	}
	return io.NopCloser(bytes.NewReader(t.content[key])), nil
}

// Entries returns a copy of the tree's entries keyed by path.
func (t *MemTree) Entries() map[string]provider.Entry {
	out := make(map[string]provider.Entry, len(t.entries))
	for p, e := range t.entries {
		out[p] = e
	}
	return out
}

// Content returns the stored content of a file entry.
func (t *MemTree) Content(path string) ([]byte, bool) {
	c, ok := t.content[path]
	return c, ok
}
