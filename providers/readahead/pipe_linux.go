package readahead

import (
	"os"

	"golang.org/x/sys/unix"
)

// growPipe sets f's pipe buffer to size bytes and returns the size the
// kernel gave it, or 0 when it refused (f keeps its default size).
func growPipe(f *os.File, size int) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	got := 0
	_ = rc.Control(func(fd uintptr) { // Control, not Fd: Fd would make f blocking
		if n, err := unix.FcntlInt(fd, unix.F_SETPIPE_SZ, size); err == nil {
			got = n
		}
	})
	return got
}

// queued returns the bytes in f's pipe that its reader has not read yet.
func queued(f *os.File) (int, bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false
	}
	n, ok := 0, false
	_ = rc.Control(func(fd uintptr) {
		v, err := unix.IoctlGetInt(int(fd), unix.TIOCINQ) // FIONREAD
		n, ok = v, err == nil
	})
	return n, ok
}
