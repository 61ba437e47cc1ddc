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
// ids per level in memory, however long the file).
func (fr *fileReader) fetchFile(ctx context.Context, h *handle) {
	defer close(fr.ch)
	if h.list == nil || len(h.content) > 0 {
		fr.fetch(ctx, h.content)
		return
	}
	stopped := errors.New("fetch stopped") // a fetch sent an error or lost its reader
	err := fr.r.eachList(ctx, *h.list, h.size, func(_ pack.ID, level int, ids []pack.ID) error {
		if level == 0 && !fr.fetch(ctx, ids) {
			return stopped
		}
		return nil
	})
	if err != nil && !errors.Is(err, stopped) {
		fr.send(ctx, chunkResult{err: err})
	}
}

type chunkResult struct {
	buf *[]byte // the chunk, in a buffer of the read pool
	err error
}

// fileReader streams a file's chunks; a goroutine fetches and
// authenticates up to prefetch chunks ahead. Chunk buffers go back to the
// repository's pool once written out.
type fileReader struct {
	r      *Repository
	path   string
	ch     chan chunkResult
	cancel context.CancelFunc
	buf    *[]byte // the chunk being read (nil when none)
	cur    []byte  // its unread part
	err    error
}

// fetch loads the chunks ids in order, each run of chunks that lie close
// together in a pack with one read (see blobRun), and stops at the first
// error, after sending it. It tells whether all were sent.
func (fr *fileReader) fetch(ctx context.Context, ids []pack.ID) bool {
	emit := func(buf *[]byte, err error) bool {
		return fr.send(ctx, chunkResult{buf, err})
	}
	for len(ids) > 0 {
		run, err := fr.r.nextRun(ctx, ids)
		if err != nil {
			emit(nil, err)
			return false
		}
		if !fr.r.loadRun(ctx, run, emit) {
			return false // an error was sent, or the reader is gone
		}
		ids = ids[len(run.ids):]
	}
	return true
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
