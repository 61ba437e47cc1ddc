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
