package export

import (
	"context"
	"io"
	"sync"

	"github.com/velinhq/velin/engine/storage"
)

// Bounds of objectReaderAt.
const (
	maxStreams = 4        // open ranged reads kept for reuse
	maxSkip    = 64 << 10 // a gap read and dropped rather than a new request
)

// objectReaderAt reads an object of a storage at any offset (as the ZIP,
// age and tar readers need) with few requests: it keeps up to maxStreams
// ranged reads open, and continues the one that ends at (or just before)
// the offset asked, so that reading sequentially is one request.
type objectReaderAt struct {
	ctx  context.Context
	st   storage.Storage
	name string
	size int64

	mu      sync.Mutex
	streams []*stream // most recently used last
}

// stream is an open ranged read and the offset of its next byte.
type stream struct {
	rc  io.ReadCloser
	pos int64
}

func newObjectReaderAt(ctx context.Context, st storage.Storage, name string, size int64) *objectReaderAt {
	return &objectReaderAt{ctx: ctx, st: st, name: name, size: size}
}

// ReadAt implements io.ReaderAt.
func (o *objectReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= o.size {
		return 0, io.EOF
	}
	want := p
	if rest := o.size - off; int64(len(p)) > rest {
		want = p[:rest]
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	s, err := o.stream(off)
	if err != nil {
		return 0, err
	}
	n, err := io.ReadFull(s.rc, want)
	s.pos += int64(n)
	if err != nil {
		o.drop(s)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		return n, err
	}
	o.streams = append(o.streams, s)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// stream takes out of o.streams one positioned at off, else opens one.
func (o *objectReaderAt) stream(off int64) (*stream, error) {
	for i, s := range o.streams {
		if s.pos <= off && off-s.pos <= maxSkip {
			o.streams = append(o.streams[:i], o.streams[i+1:]...)
			if _, err := io.CopyN(io.Discard, s.rc, off-s.pos); err != nil {
				s.rc.Close()
				break
			}
			s.pos = off
			return s, nil
		}
	}
	if len(o.streams) >= maxStreams {
		o.drop(o.streams[0])
		o.streams = o.streams[1:]
	}
	rc, err := o.st.GetRange(o.ctx, o.name, off, o.size-off)
	if err != nil {
		return nil, err
	}
	return &stream{rc: rc, pos: off}, nil
}

func (o *objectReaderAt) drop(s *stream) { s.rc.Close() }

// Close closes the open reads.
func (o *objectReaderAt) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range o.streams {
		s.rc.Close()
	}
	o.streams = nil
	return nil
}
