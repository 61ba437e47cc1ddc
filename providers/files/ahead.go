package files

import (
	"context"
	"io"

	"golang.org/x/sync/semaphore"

	"github.com/velinhq/velin/providers/provider"
)

// A restore keeps up to inFlight files in progress but writes at most
// writers of them at once: the others wait for a write slot with their
// content already being fetched, so that a restore from a remote
// repository waits for the round trips of many small files at once, not
// of writers files. Only files of up to aheadMax bytes are opened before
// their slot, at most aheadBytes of them at once; a larger file is opened
// once it has its slot (its reader reads ahead on its own).
const (
	inFlight   = 32
	aheadMax   = 1 << 20
	aheadBytes = 16 << 20
)

// gate holds the write slots and the budget of content opened ahead.
type gate struct {
	slots chan struct{}
	ahead *semaphore.Weighted
}

func newGate() *gate {
	return &gate{slots: make(chan struct{}, writers), ahead: semaphore.NewWeighted(aheadBytes)}
}

// enter waits for a write slot; leave gives it back.
func (g *gate) enter(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gate) leave() { <-g.slots }

// early is the content of a file opened before its write slot.
type early struct {
	rc   io.ReadCloser // nil once fill took it
	err  error         // the Open's
	size int64         // bytes taken from the gate's budget
}

// openEarly opens src's content now when it is small enough to be fetched
// while src waits for a write slot, and returns nil otherwise. doneEarly
// releases what it took.
func (r *restorer) openEarly(ctx context.Context, src provider.Entry) (*early, error) {
	if src.Size == 0 || src.Size > aheadMax {
		return nil, nil
	}
	if err := r.gate.ahead.Acquire(ctx, src.Size); err != nil {
		return nil, err
	}
	rc, err := openSnapshot(ctx, r.sel.tree, src)
	return &early{rc: rc, err: err, size: src.Size}, nil
}

func (r *restorer) doneEarly(e *early) {
	if e == nil {
		return
	}
	if e.rc != nil {
		e.rc.Close()
	}
	r.gate.ahead.Release(e.size)
}
