package readahead

import (
	"bytes"
	"io"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestPipe: on Linux the pipe's kernel buffer is PipeSize, as reported.
func TestPipe(t *testing.T) {
	r, w, size, err := Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	rc, err := r.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got int
	var gerr error
	if err := rc.Control(func(fd uintptr) { got, gerr = unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0) }); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	if size != PipeSize || got != PipeSize {
		t.Errorf("Pipe reports %d bytes, the kernel %d; want %d", size, got, PipeSize)
	}
}

// TestPaced: a write that does not fit in the pipe's free room waits
// (pauses) until the reader made room, and then goes in whole.
func TestPaced(t *testing.T) {
	r, w, size, err := Pipe()
	if err != nil || size != PipeSize {
		t.Fatal(size, err)
	}
	defer r.Close()
	defer w.Close()
	if _, err := w.Write(bytes.Repeat([]byte{1}, size*3/4)); err != nil {
		t.Fatal(err)
	}
	var seen []int // the pipe's fill at each pause
	p := NewPaced(w, size, time.Hour, nil)
	p.sleep = func(d time.Duration, _ <-chan struct{}) {
		n, _ := queued(w)
		seen = append(seen, n)
		if _, err := io.ReadFull(r, make([]byte, size/2)); err != nil {
			t.Error(err)
		}
	}
	if n, err := p.Write(bytes.Repeat([]byte{2}, size/2)); n != size/2 || err != nil {
		t.Fatal(n, err)
	}
	if len(seen) != 1 || seen[0] != size*3/4 {
		t.Errorf("paused with %v bytes in the pipe, want once with %d", seen, size*3/4)
	}
	if n, ok := queued(w); !ok || n != size*3/4 {
		t.Errorf("%d bytes in the pipe after the write, want %d", n, size*3/4)
	}
}
