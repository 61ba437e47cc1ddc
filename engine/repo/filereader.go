package repo

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

// prefetch is how many decoded chunks a file reader keeps ready.
const prefetch = 4

func (t *tree) Open(ctx context.Context, e provider.Entry) (io.ReadCloser, error) {
	h, ok := e.Handle.(*handle)
	if !ok || e.Kind != provider.KindFile {
		return nil, fmt.Errorf("open %s: not a file entry of this tree", e.Path)
	}
	ctx, cancel := context.WithCancel(ctx)
	fr := &fileReader{r: t.r, path: e.Path, ch: make(chan chunkResult, prefetch), cancel: cancel}
	go fr.fetchFile(ctx, h)
	return fr, nil
}

// fetchFile fetches the file's chunks: its content, or, when its content
// lists were not expanded, each level-0 list's chunks in turn (one list of
// ids per level in memory, however long the file). Span reads run ahead
// in fr.q (see spans.go); chunks reach the reader in file order.
func (fr *fileReader) fetchFile(ctx context.Context, h *handle) {
	defer close(fr.ch)
	fr.q = newSpanQueue(ctx, fr.r, h.size)
	defer fr.q.close()
	if h.list == nil || len(h.content) > 0 {
		fr.fetch(ctx, h.content)
		fr.flush(ctx)
		return
	}
	stopped := errors.New("fetch stopped") // an error was queued, or delivery ended
	err := fr.r.eachList(ctx, *h.list, h.size, func(_ pack.ID, level int, ids []pack.ID) error {
		if level == 0 && !fr.fetch(ctx, ids) {
			return stopped
		}
		return nil
	})
	if err != nil && !errors.Is(err, stopped) {
		fr.q.fail(err)
	}
	fr.flush(ctx)
}

type chunkResult struct {
	buf *[]byte // the chunk, in a buffer of the read pool
	err error
}

// fileReader streams a file's chunks; a goroutine reads spans ahead and
// decodes up to prefetch chunks ahead. Chunk buffers go back to the
// repository's pool once written out.
type fileReader struct {
	r      *Repository
	path   string
	ch     chan chunkResult
	cancel context.CancelFunc
	buf    *[]byte // the chunk being read (nil when none)
	cur    []byte  // its unread part
	err    error

	q      *spanQueue // the fetching goroutine's reads in flight
	halted bool       // the fetching goroutine sent an error or lost its reader
}

// fetch plans the runs of ids in order (see blobRun) and starts their
// reads, passing on the oldest whenever no more may start. It tells
// whether to go on: false once an error is queued or delivery halted.
func (fr *fileReader) fetch(ctx context.Context, ids []pack.ID) bool {
	for len(ids) > 0 && !fr.halted {
		run, err := fr.r.nextRun(ctx, ids)
		if err != nil {
			fr.q.fail(err)
			return false
		}
		for !fr.q.tryStart(run) {
			if !fr.emitNext(ctx) {
				return false
			}
		}
		ids = ids[len(run.ids):]
	}
	return !fr.halted
}

// flush passes on every queued read, unless delivery halted.
func (fr *fileReader) flush(ctx context.Context) {
	for len(fr.q.reads) > 0 && !fr.halted {
		fr.emitNext(ctx)
	}
}

// emitNext waits for the oldest read and passes on its chunks, or its
// error. It tells whether delivery goes on.
func (fr *fileReader) emitNext(ctx context.Context) bool {
	sr := fr.q.next()
	defer fr.q.release(sr)
	ok := sr.err == nil
	if ok {
		ok = fr.r.emitRun(sr.run, sr.data, func(buf *[]byte, err error) bool {
			return fr.send(ctx, chunkResult{buf, err})
		})
	} else {
		fr.send(ctx, chunkResult{err: sr.err})
	}
	fr.halted = !ok
	return ok
}

// send passes res to the reader and tells whether fetching goes on.
func (fr *fileReader) send(ctx context.Context, res chunkResult) bool {
	select {
	case fr.ch <- res:
		return res.err == nil
	case <-ctx.Done():
		fr.r.putBuf(res.buf)
		return false
	}
}

// next releases the finished chunk and waits for the following one.
func (fr *fileReader) next() {
	fr.r.putBuf(fr.buf)
	fr.buf, fr.cur = nil, nil
	res, ok := <-fr.ch
	switch {
	case !ok:
		fr.err = io.EOF
	case res.err != nil:
		fr.err = fmt.Errorf("read %s: %w", fr.path, res.err)
	default:
		fr.buf, fr.cur = res.buf, *res.buf
	}
}

func (fr *fileReader) Read(p []byte) (int, error) {
	for len(fr.cur) == 0 {
		if fr.err != nil {
			return 0, fr.err
		}
		fr.next()
	}
	n := copy(p, fr.cur)
	fr.cur = fr.cur[n:]
	return n, nil
}

// WriteTo lets io.Copy skip an intermediate buffer.
func (fr *fileReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(fr.cur) > 0 {
			n, err := w.Write(fr.cur)
			total += int64(n)
			fr.cur = fr.cur[n:]
			if err != nil {
				return total, err
			}
		}
		if fr.err == nil {
			fr.next()
		}
		if fr.err == io.EOF {
			return total, nil
		}
		if fr.err != nil {
			return total, fr.err
		}
	}
}

func (fr *fileReader) Close() error {
	fr.cancel()
	fr.r.putBuf(fr.buf)
	fr.buf, fr.cur = nil, nil
	for res := range fr.ch { // let the fetcher exit
		fr.r.putBuf(res.buf)
	}
	return nil
}
