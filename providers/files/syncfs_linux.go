//go:build linux

package files

import (
	"os"

	"golang.org/x/sys/unix"
)

// canSyncFS says whether syncFS works on this system.
const canSyncFS = true

// syncFS makes every written file of the filesystem holding f durable
// (syncfs(2); it reports writeback errors since Linux 5.8).
func syncFS(f *os.File) error {
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) { serr = unix.Syncfs(int(fd)) }); err != nil {
		return err
	}
	return serr
}
