package repo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/engine/storage"
)

const (
	// windowWiden: the runs of a file of at most this many bytes are read
	// through shared windows. (A large file's short runs are not: its
	// chunks lie between other large files' chunks, which are read at
	// other times, so a window would mostly be read for nothing.)
	windowWiden = 256 << 10
	// windowSize is the bytes of a pack a window reads: the aligned block
	// of the pack around the run that started it (fewer at the end of the
	// pack), or from the run's offset when the run crosses a block's end.
	windowSize = runMax
	// windowsKept is how many windows the repository keeps for the runs
	// that follow.
	windowsKept = 8
)

// A window is a read of windowSize bytes of a pack around a small run,
// shared by every reader whose run it covers: a backup writes small files
// near each other in a pack (not strictly in order: several workers seal
// them), and a restore reads them in about the same order, several at
// once, so one request serves many files.
type window struct {
	pack     pack.ID
	off, end int64
	done     chan struct{} // closed once data or err is set
	data     []byte        // may end before end: the pack ended
	err      error
	cancel   context.CancelFunc

	// under windows.mu:
	waiters  int
	finished bool
}

// windows are a repository's recent windows, newest last.
type windows struct {
	mu   sync.Mutex
	kept []*window
}

// joinWindow returns a window that covers run, in flight or read, and
// counts the caller as one of its waiters until leaveWindow; it starts
// the window's read when none covers run.
func (r *Repository) joinWindow(run blobRun) *window {
	ws := &r.windows
	ws.mu.Lock()
	defer ws.mu.Unlock()
	p := run.locs[0].Pack
	for _, w := range ws.kept {
		end := w.end
		if w.finished { // it may have come back short: the pack ended
			end = w.off + int64(len(w.data))
		}
		if w.pack == p && w.off <= run.off && run.end <= end {
			w.waiters++
			return w
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	off := run.off - run.off%windowSize
	if run.end > off+windowSize {
		off = run.off
	}
	w := &window{pack: p, off: off, end: off + windowSize, done: make(chan struct{}), cancel: cancel, waiters: 1}
	ws.kept = append(ws.kept, w)
	if len(ws.kept) > windowsKept {
		ws.kept[0] = nil
		ws.kept = ws.kept[1:]
	}
	go r.readWindow(ctx, w)
	return w
}

// readWindow reads w; a failed window leaves the cache, so that the next
// run that needs its bytes reads them again.
func (r *Repository) readWindow(ctx context.Context, w *window) {
	data, err := getRangeUpTo(ctx, r.st, packName(w.pack), w.off, w.end-w.off)
	ws := &r.windows
	ws.mu.Lock()
	w.data, w.err, w.finished = data, err, true
	if err != nil {
		ws.drop(w)
	}
	ws.mu.Unlock()
	w.cancel()
	close(w.done)
}

// leaveWindow uncounts a waiter of w. A window nobody waits for any more
// before it is read is cancelled, dropped and waited for.
func (r *Repository) leaveWindow(w *window) {
	ws := &r.windows
	ws.mu.Lock()
	w.waiters--
	abandoned := w.waiters == 0 && !w.finished
	if abandoned {
		ws.drop(w)
	}
	ws.mu.Unlock()
	if abandoned {
		w.cancel()
		<-w.done
	}
}

func (ws *windows) drop(w *window) {
	if i := slices.Index(ws.kept, w); i >= 0 {
		ws.kept = slices.Delete(ws.kept, i, i+1)
	}
}

// span waits for w (or ctx) and returns run's span of it.
func (w *window) span(ctx context.Context, run blobRun) ([]byte, error) {
	select {
	case <-w.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if w.err != nil {
		return nil, fmt.Errorf("blob %s in pack %s: %w", run.ids[0], w.pack, w.err)
	}
	if run.end-w.off > int64(len(w.data)) {
		return nil, fmt.Errorf("blob %s in pack %s: %w: the pack ends at %d, before the blob", run.ids[0], w.pack, io.ErrUnexpectedEOF, w.off+int64(len(w.data)))
	}
	return w.data[run.off-w.off : run.end-w.off], nil
}

// getRangeUpTo reads up to n bytes at off of name: fewer when the object
// ends first.
func getRangeUpTo(ctx context.Context, st storage.Storage, name string, off, n int64) ([]byte, error) {
	rc, err := st.GetRange(ctx, name, off, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	buf := make([]byte, n)
	k, err := io.ReadFull(rc, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s at %d: %w", name, off, err)
	}
	return buf[:k], nil
}
