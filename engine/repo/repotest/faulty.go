package repotest

import (
	"context"
	"errors"
	"io"
	"sync/atomic"

	"github.com/velinhq/velin/engine/storage"
)

// ErrInjected is the error a Faulty storage returns once it has "crashed".
var ErrInjected = errors.New("injected fault")

// Faulty wraps a storage and fails every Put and Delete after the first
// PutsLeft of them succeeded, like a process killed at that point: nothing
// after the crash point reaches the storage.
type Faulty struct {
	storage.Storage
	left atomic.Int64
}

// NewFaulty lets n writes (Put or Delete) through, then fails all others.
func NewFaulty(s storage.Storage, n int64) *Faulty {
	f := &Faulty{Storage: s}
	f.left.Store(n)
	return f
}

func (f *Faulty) take() error {
	if f.left.Add(-1) < 0 {
		return ErrInjected
	}
	return nil
}

// Put writes through until the budget is spent.
func (f *Faulty) Put(ctx context.Context, name string, r io.Reader, size int64, o storage.PutOptions) error {
	if err := f.take(); err != nil {
		_, _ = io.Copy(io.Discard, r)
		return err
	}
	return f.Storage.Put(ctx, name, r, size, o)
}

// Delete deletes through until the budget is spent.
func (f *Faulty) Delete(ctx context.Context, name string) error {
	if err := f.take(); err != nil {
		return err
	}
	return f.Storage.Delete(ctx, name)
}
