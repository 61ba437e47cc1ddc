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
	return control(f, func(fd int) error { return unix.Syncfs(fd) })
}

// preallocate reserves size bytes for f, which is empty, so the writes
// that follow fill allocated blocks (fewer, larger extents, and less work
// per write than delayed allocation). It is only a hint: a filesystem
// without fallocate, or any other error, leaves the writes to allocate.
func preallocate(f *os.File, size int64) {
	_ = control(f, func(fd int) error { return unix.Fallocate(fd, 0, 0, size) })
}

func control(f *os.File, fn func(fd int) error) error {
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := raw.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
