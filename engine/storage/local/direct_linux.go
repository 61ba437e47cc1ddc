package local

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// startDirect switches f to direct I/O (O_DIRECT: writes go from the
// buffer to the disk, not through the page cache). It reports false, and
// leaves f as it was, where the filesystem refuses direct I/O.
func startDirect(f *os.File) bool { return setDirect(f, true) == nil }

// stopDirect switches f back to buffered writes.
func stopDirect(f *os.File) error { return setDirect(f, false) }

func setDirect(f *os.File, on bool) error {
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = raw.Control(func(fd uintptr) {
		flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		if err != nil {
			ferr = err
			return
		}
		if on {
			flags |= unix.O_DIRECT
		} else {
			flags &^= unix.O_DIRECT
		}
		_, ferr = unix.FcntlInt(fd, unix.F_SETFL, flags)
	})
	if err != nil {
		return err
	}
	return ferr
}

// isDirectRefused says whether err is how a write refuses direct I/O (an
// alignment the filesystem does not accept).
func isDirectRefused(err error) bool { return errors.Is(err, unix.EINVAL) }
