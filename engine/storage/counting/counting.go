package counting

import (
	"context"
	"io"
	"sync/atomic"

	"github.com/velinhq/velin/engine/storage"
)

// Counts are the calls made through a Storage.
type Counts struct {
	List     int64 `json:"list"`
	Get      int64 `json:"get"`
	GetRange int64 `json:"get_range"`
	Stat     int64 `json:"stat"`
	Put      int64 `json:"put"`
	Delete   int64 `json:"delete"`
}

// Total is the number of calls of every kind.
func (c Counts) Total() int64 {
	return c.List + c.Get + c.GetRange + c.Stat + c.Put + c.Delete
}

// Add returns c plus o.
func (c Counts) Add(o Counts) Counts {
	return Counts{List: c.List + o.List, Get: c.Get + o.Get, GetRange: c.GetRange + o.GetRange,
		Stat: c.Stat + o.Stat, Put: c.Put + o.Put, Delete: c.Delete + o.Delete}
}

// Sub returns c minus o: the calls made between two readings.
func (c Counts) Sub(o Counts) Counts {
	return Counts{List: c.List - o.List, Get: c.Get - o.Get, GetRange: c.GetRange - o.GetRange,
		Stat: c.Stat - o.Stat, Put: c.Put - o.Put, Delete: c.Delete - o.Delete}
}

// Storage counts the calls made to the storage it wraps. Safe for
// concurrent use.
type Storage struct {
	inner                               storage.Storage
	list, get, getRange, stat, put, del atomic.Int64
}

var _ storage.Storage = (*Storage)(nil)

// New wraps inner.
func New(inner storage.Storage) *Storage { return &Storage{inner: inner} }

// Inner returns the wrapped storage.
func (s *Storage) Inner() storage.Storage { return s.inner }

// Counts returns the calls made so far.
func (s *Storage) Counts() Counts {
	return Counts{List: s.list.Load(), Get: s.get.Load(), GetRange: s.getRange.Load(),
		Stat: s.stat.Load(), Put: s.put.Load(), Delete: s.del.Load()}
}

func (s *Storage) Put(ctx context.Context, name string, r io.Reader, size int64, opts storage.PutOptions) error {
	s.put.Add(1)
	return s.inner.Put(ctx, name, r, size, opts)
}

func (s *Storage) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	s.get.Add(1)
	return s.inner.Get(ctx, name)
}

func (s *Storage) GetRange(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	s.getRange.Add(1)
	return s.inner.GetRange(ctx, name, offset, length)
}

func (s *Storage) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	s.stat.Add(1)
	return s.inner.Stat(ctx, name)
}

func (s *Storage) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	s.list.Add(1)
	return s.inner.List(ctx, prefix, fn)
}

func (s *Storage) Delete(ctx context.Context, name string) error {
	s.del.Add(1)
	return s.inner.Delete(ctx, name)
}

func (s *Storage) Location() string { return s.inner.Location() }
