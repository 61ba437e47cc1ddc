package readahead

import (
	"testing"

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
