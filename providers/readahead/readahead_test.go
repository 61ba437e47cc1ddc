package readahead

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// TestReader: the bytes arrive in order and whole, the source's own error
// comes after its last bytes, unchanged (an io.ErrUnexpectedEOF is not
// turned into a clean end), whatever the sizes of the reads.
func TestReader(t *testing.T) {
	data := make([]byte, 1<<20+17)
	for i := range data {
		data[i] = byte(i * 7 / 3)
	}
	boom := errors.New("boom")
	sources := map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(data) },
		"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data[:5000])) },
		"halves":   func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
		"error":    func() io.Reader { return io.MultiReader(bytes.NewReader(data), iotest.ErrReader(boom)) },
		"cut":      func() io.Reader { return io.MultiReader(bytes.NewReader(data), iotest.ErrReader(io.ErrUnexpectedEOF)) },
		"data+eof": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
	}
	for name, src := range sources {
		r := New(src(), 4096, 3)
		got, err := io.ReadAll(iotest.HalfReader(r))
		want, wantErr := io.ReadAll(src())
		if !bytes.Equal(got, want) || !errors.Is(err, wantErr) && err != wantErr {
			t.Errorf("%s: %d bytes, %v; want %d bytes, %v", name, len(got), err, len(want), wantErr)
		}
		if _, err2 := r.Read(make([]byte, 1)); err2 == nil && err != nil {
			t.Errorf("%s: a read after the error succeeds", name)
		}
		r.Close()
	}
}

// TestReaderBounded: the source is never more than the buffers ahead of
// what the caller took.
func TestReaderBounded(t *testing.T) {
	const size, n = 1000, 4
	var taken atomic.Int64
	src := &counting{limit: 200_000, check: func(read int64) {
		if ahead := read - taken.Load(); ahead > size*n {
			t.Errorf("the source is %d bytes ahead, more than %d buffers of %d", ahead, n, size)
		}
	}}
	r := New(src, size, n)
	defer r.Close()
	p := make([]byte, 333)
	for {
		k, err := r.Read(p)
		taken.Add(int64(k))
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if taken.Load() != 200_000 {
		t.Errorf("took %d bytes", taken.Load())
	}
}

// counting yields limit zero bytes, 100 at a time, calling check with
// how many it had yielded before each read.
type counting struct {
	read, limit int64
	check       func(read int64)
}

func (c *counting) Read(p []byte) (int, error) {
	c.check(c.read)
	if c.read == c.limit {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), 100, c.limit-c.read))
	clear(p[:k])
	c.read += int64(k)
	return k, nil
}

// TestGather: NewGather pauses after each read shorter than gatherBelow
// that left the buffer unfilled, never after a long one, and New never
// pauses; the bytes arrive whole either way.
func TestGather(t *testing.T) {
	sizes := []int{100, gatherBelow, 100, 5, gatherBelow + 1}
	for _, gather := range []time.Duration{0, time.Millisecond} {
		src := &sized{sizes: sizes}
		var pauses []int // the source's reads done before each pause
		r := newReader(src, 1<<20, 2, gather, func(d time.Duration, _ <-chan struct{}) {
			if d != gather {
				t.Errorf("paused %v, want %v", d, gather)
			}
			pauses = append(pauses, src.reads)
		})
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || len(got) != src.total() {
			t.Fatalf("gather %v: %d bytes, %v; want %d", gather, len(got), err, src.total())
		}
		want := []int{1, 3, 4} // after the reads of 100, 100 and 5 bytes
		if gather == 0 {
			want = nil
		}
		if !slices.Equal(pauses, want) {
			t.Errorf("gather %v: paused after reads %v, want %v", gather, pauses, want)
		}
	}
}

// sized yields reads of the given sizes, then io.EOF.
type sized struct {
	sizes []int
	reads int
}

func (s *sized) total() (n int) {
	for _, k := range s.sizes {
		n += k
	}
	return n
}

func (s *sized) Read(p []byte) (int, error) {
	if s.reads == len(s.sizes) {
		return 0, io.EOF
	}
	k := min(len(p), s.sizes[s.reads])
	clear(p[:k])
	s.reads++
	return k, nil
}
