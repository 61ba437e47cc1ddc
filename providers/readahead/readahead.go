package readahead

import (
	"io"
	"sync"
	"time"
)

// Reader reads from its source on its own goroutine, up to Buffers
// buffers of Size bytes ahead of the caller of Read. Any work the source
// does as it is read (counting rows, say) happens on that goroutine too.
// What the source returned, and its final error, reach Read in order.
// Read must not be called from several goroutines at once.
type Reader struct {
	full chan block    // filled buffers, in order
	free chan []byte   // empty buffers for the reading goroutine
	stop chan struct{} // closed by Close
	once sync.Once
	cur  block // the block Read is taking bytes from
	off  int
	err  error // the source's error, once Read reached it

	gather time.Duration                        // pause after a short read (NewGather)
	sleep  func(time.Duration, <-chan struct{}) // the pause: sleepOrStop but in tests
}

// block is one buffer's worth of the source, or its final error.
type block struct {
	data []byte
	err  error
}

// New starts reading src ahead into n buffers of size bytes (n >= 2).
// Close stops the goroutine once src's current Read returns: a source
// that may block forever (a child's pipe) must be ended by its owner too
// (killing the child).
func New(src io.Reader, size, n int) *Reader {
	return NewGather(src, size, n, 0)
}

// NewGather is New for a source that hands out what it holds at once,
// however little (a pipe): after a read of less than gatherBelow bytes the
// reading goroutine pauses for gather, so that the writer's small writes
// pile up in the pipe and are taken in one read instead of one wake-up
// each. The pipe must hold what the writer writes in that time (Pipe's
// 1 MiB at 1 ms: up to 1 GB/s), or the writer waits. 0 never pauses.
func NewGather(src io.Reader, size, n int, gather time.Duration) *Reader {
	return newReader(src, size, n, gather, sleepOrStop)
}

func newReader(src io.Reader, size, n int, gather time.Duration, sleep func(time.Duration, <-chan struct{})) *Reader {
	n = max(n, 2)
	r := &Reader{full: make(chan block, n), free: make(chan []byte, n), stop: make(chan struct{}),
		gather: gather, sleep: sleep}
	for range n {
		r.free <- make([]byte, size)
	}
	go r.fill(src)
	return r
}

// fill reads src into free buffers until an error (io.EOF included),
// which it passes on last. A buffer is sent when full or when src's read
// ended in an error; short reads are gathered first, so the consumer gets
// large blocks.
func (r *Reader) fill(src io.Reader) {
	for {
		var buf []byte
		select {
		case buf = <-r.free:
		case <-r.stop:
			return
		}
		n, err := r.readFull(src, buf[:cap(buf)])
		if n > 0 {
			if !r.send(block{data: buf[:n]}) {
				return
			}
		}
		if err != nil {
			r.send(block{err: err})
			return
		}
	}
}

func (r *Reader) send(b block) bool {
	select {
	case r.full <- b:
		return true
	case <-r.stop:
		return false
	}
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.off == len(r.cur.data) {
		if r.cur.data != nil {
			r.free <- r.cur.data[:cap(r.cur.data)]
		}
		r.cur, r.off = <-r.full, 0
		if r.cur.err != nil {
			r.err = r.cur.err
			return 0, r.err
		}
	}
	n := copy(p, r.cur.data[r.off:])
	r.off += n
	return n, nil
}

// Close stops reading ahead; it does not close the source.
func (r *Reader) Close() error {
	r.once.Do(func() { close(r.stop) })
	return nil
}

// gatherBelow: a read shorter than this found the source nearly empty.
const gatherBelow = 64 << 10

// readFull reads until buf is full or src fails (io.EOF included), which
// it returns as is (unlike io.ReadFull, which makes a short read's EOF
// io.ErrUnexpectedEOF and so hides a source's own ErrUnexpectedEOF).
func (r *Reader) readFull(src io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := src.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
		if r.gather > 0 && k < gatherBelow && n < len(buf) {
			r.sleep(r.gather, r.stop)
		}
	}
	return n, nil
}

// sleepOrStop waits for d, or less if stop is closed.
func sleepOrStop(d time.Duration, stop <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-stop:
	}
}
