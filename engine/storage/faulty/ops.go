package faulty

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/velinhq/velin/engine/storage"
)

// Put applies the Put rules, then writes through.
func (s *Storage) Put(ctx context.Context, name string, r io.Reader, size int64, opts storage.PutOptions) error {
	fail, cut := s.putPlan(name, &opts)
	if fail {
		_, _ = io.Copy(io.Discard, r) // a Put reads its reader to EOF, even when it fails
		return fmt.Errorf("put %s: %w", name, ErrInjected)
	}
	if cut >= 0 {
		err := s.inner.Put(ctx, name, &cutReader{r: r, left: cut}, size, opts)
		if err == nil {
			return fmt.Errorf("put %s: inner storage accepted a Put whose reader failed (%w)", name, ErrInjected)
		}
		return fmt.Errorf("put %s: cut after %d bytes: %w", name, cut, err)
	}
	prior := s.prior(name)
	if err := s.inner.Put(ctx, name, r, size, opts); err != nil {
		return err
	}
	s.recordWrite(name, prior)
	return nil
}

// prior describes what name holds now, nil if nothing.
func (s *Storage) prior(name string) *storage.ObjectInfo {
	oi, err := s.inner.Stat(context.Background(), name)
	if err != nil {
		return nil
	}
	return &oi
}

// Get applies the Get rules, then reads through.
func (s *Storage) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := s.check(OpGet, name); err != nil {
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	rc, err := s.inner.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	return s.corrupt(name, rc, 0), nil
}

// GetRange applies the Get rules, then reads through.
func (s *Storage) GetRange(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	if err := s.check(OpGet, name); err != nil {
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	rc, err := s.inner.GetRange(ctx, name, offset, length)
	if err != nil {
		return nil, err
	}
	return s.corrupt(name, rc, offset), nil
}

// Stat applies the Stat rules, then asks through.
func (s *Storage) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	if err := s.check(OpStat, name); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", name, err)
	}
	return s.inner.Stat(ctx, name)
}

// List applies the List rules, then lists through, omitting lagging objects.
func (s *Storage) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if err := s.check(OpList, prefix); err != nil {
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	hide := s.lagging()
	err := s.inner.List(ctx, prefix, func(oi storage.ObjectInfo) error {
		if _, lags := hide[oi.Name]; lags {
			return nil
		}
		return fn(oi)
	})
	if err != nil {
		return err
	}
	for name, old := range hide {
		if old != nil && strings.HasPrefix(name, prefix) {
			if err := fn(*old); err != nil {
				return err
			}
		}
	}
	return nil
}

// Delete applies the Delete rules, then deletes through.
func (s *Storage) Delete(ctx context.Context, name string) error {
	if err := s.check(OpDelete, name); err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	prior := s.prior(name)
	if err := s.inner.Delete(ctx, name); err != nil {
		return err
	}
	s.recordWrite(name, prior)
	return nil
}

// Location is the inner storage's, marked.
func (s *Storage) Location() string { return "faulty:" + s.inner.Location() }

// check counts a call and returns ErrInjected if a rule fails it.
func (s *Storage) check(op Op, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch op {
	case OpGet:
		s.counts.Gets++
	case OpStat:
		s.counts.Stats++
	case OpList:
		s.counts.Lists++
	case OpDelete:
		s.counts.Deletes++
	}
	if s.failsLocked(op, name) || op == OpDelete && s.crashedLocked() {
		return ErrInjected
	}
	return nil
}

// corrupt wraps rc (which starts at offset start of the object) to cut
// it where CutGets asked and to flip the bits FlipBit asked for.
func (s *Storage) corrupt(name string, rc io.ReadCloser, start int64) io.ReadCloser {
	if n := s.cutFor(name); n >= 0 {
		rc = cutReadCloser{&cutReader{r: rc, left: n}, rc}
	}
	offs := s.flipsFor(name)
	if len(offs) == 0 {
		return rc
	}
	return &flipReader{rc: rc, pos: start, offs: offs}
}

// cutReader yields at most left bytes of r, then fails with ErrInjected
// (also if r ends first).
type cutReader struct {
	r    io.Reader
	left int64
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, ErrInjected
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if err == io.EOF {
		return n, ErrInjected
	}
	return n, err
}

// cutReadCloser is a cutReader that closes what it reads.
type cutReadCloser struct {
	*cutReader
	io.Closer
}

// flipReader flips the lowest bit of the bytes at the object offsets offs.
type flipReader struct {
	rc   io.ReadCloser
	pos  int64 // object offset of the next byte
	offs []int64
}

func (f *flipReader) Read(p []byte) (int, error) {
	n, err := f.rc.Read(p)
	for _, o := range f.offs {
		if o >= f.pos && o < f.pos+int64(n) {
			p[o-f.pos] ^= 1
		}
	}
	f.pos += int64(n)
	return n, err
}

func (f *flipReader) Close() error { return f.rc.Close() }
