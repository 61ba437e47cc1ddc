package repo

import (
	"context"
	"fmt"
	"sync"
)

const (
	// readAhead is how many span reads one file reader has in flight at
	// most.
	readAhead = 8
	// readBudget bounds the stored bytes of the span reads in flight
	// beyond each reader's first, across all the readers of a repository.
	readBudget = 32 << 20
)

// budget counts the bytes taken from a bound. Its zero value has all of
// it free.
type budget struct {
	mu   sync.Mutex
	used int64
}

// take takes n bytes if that keeps the total within limit.
func (b *budget) take(n, limit int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > limit {
		return false
	}
	b.used += n
	return true
}

func (b *budget) give(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
}

// A spanRead is one run's range read, started ahead of its turn, or an
// error to pass on at that place in the file.
type spanRead struct {
	run   blobRun
	done  chan struct{} // closed once data or err is set
	data  []byte        // the span's stored bytes
	buf   *[]byte       // the run buffer holding data, if it is one
	win   *window       // the window holding data, if it is one
	err   error
	taken int64 // bytes taken from the repository's span budget
}

// spanQueue is a file reader's span reads, oldest first. It is used by
// the reader's fetching goroutine only.
type spanQueue struct {
	r     *Repository
	ctx   context.Context // the reads', cancelled by stop
	stop  context.CancelFunc
	reads []*spanRead
	small bool // the file is small: its runs are read through windows
}

// newSpanQueue returns the queue of a reader of a file of size bytes.
func newSpanQueue(ctx context.Context, r *Repository, size int64) *spanQueue {
	ctx, stop := context.WithCancel(ctx)
	return &spanQueue{r: r, ctx: ctx, stop: stop, small: size <= windowWiden}
}

// tryStart starts the read of run if there is room: a reader's first
// read always starts, and so does a small file's (through a shared window,
// whose bytes the repository bounds); a further one while fewer than
// readAhead are in flight and the repository's budget has the span's
// bytes.
func (q *spanQueue) tryStart(run blobRun) bool {
	var taken int64
	switch {
	case len(q.reads) >= readAhead:
		return false
	case q.small:
		sr := &spanRead{run: run, done: make(chan struct{}), win: q.r.joinWindow(run)}
		q.reads = append(q.reads, sr)
		go func() {
			defer close(sr.done)
			sr.data, sr.err = sr.win.span(q.ctx, run)
		}()
		return true
	case len(q.reads) == 0:
	default:
		taken = run.end - run.off
		if !q.r.spans.take(taken, readBudget) {
			return false
		}
	}
	sr := &spanRead{run: run, done: make(chan struct{}), taken: taken}
	q.reads = append(q.reads, sr)
	go q.read(sr)
	return true
}

func (q *spanQueue) read(sr *spanRead) {
	defer close(sr.done)
	run := sr.run
	buf := q.r.getRunBuf()
	data, err := getRangeInto(q.ctx, q.r.st, packName(run.locs[0].Pack), run.off, run.end-run.off, *buf)
	if err != nil {
		q.r.putRunBuf(buf)
		sr.err = fmt.Errorf("blob %s in pack %s: %w", run.ids[0], run.locs[0].Pack, err)
		return
	}
	*buf = data
	sr.buf, sr.data = buf, data
}

// fail queues err, to pass on after the reads before it.
func (q *spanQueue) fail(err error) {
	sr := &spanRead{err: err, done: make(chan struct{})}
	close(sr.done)
	q.reads = append(q.reads, sr)
}

// next removes the oldest read, waits for it and returns it; release it
// once its bytes are used.
func (q *spanQueue) next() *spanRead {
	sr := q.reads[0]
	q.reads[0] = nil
	q.reads = q.reads[1:]
	<-sr.done
	return sr
}

// release gives back a finished read's buffer and budget.
func (q *spanQueue) release(sr *spanRead) {
	if sr.buf != nil {
		q.r.putRunBuf(sr.buf)
		sr.buf = nil
	}
	if sr.win != nil {
		q.r.leaveWindow(sr.win)
		sr.win = nil
	}
	sr.data = nil
	q.r.spans.give(sr.taken)
	sr.taken = 0
}

// close cancels the reads still queued and waits for each of them.
func (q *spanQueue) close() {
	q.stop()
	for len(q.reads) > 0 {
		q.release(q.next())
	}
}
