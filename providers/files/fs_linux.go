//go:build linux

package files

import (
	"os"
	"time"
	"unsafe"

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

// setTimes sets the access and modification times of the open file f to
// t through its descriptor (futimens: no path lookup). A zero t leaves
// them unchanged, as os.Chtimes does. dir and name are unused here.
func setTimes(_ *os.Root, _ string, f *os.File, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	one, err := unix.TimeToTimespec(t)
	if err != nil {
		return err
	}
	ts := [2]unix.Timespec{one, one}
	return control(f, func(fd int) error {
		_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0,
			uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0) // path NULL: the fd itself
		if errno != 0 {
			return &os.PathError{Op: "futimens", Path: f.Name(), Err: errno}
		}
		return nil
	})
}

// startWriteback asks the kernel to start writing f's dirty pages now,
// without waiting (sync_file_range SYNC_FILE_RANGE_WRITE), so that the
// batch's sync later finds less to write. Only a hint: errors are
// ignored (the sync reports them).
func startWriteback(f *os.File) {
	_ = control(f, func(fd int) error { return unix.SyncFileRange(fd, 0, 0, unix.SYNC_FILE_RANGE_WRITE) })
}
