package files

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// ErrReplaced means an entry was replaced between the walk's lstat and the
// open (another inode or type at the same name): it is not backed up.
var ErrReplaced = errors.New("replaced while it was backed up")

// at names an entry by its parent directory's descriptor, so that what is
// opened is the entry of the directory being walked, whatever happens to
// the path meanwhile.
type at struct {
	dir    *os.File // the parent directory, opened by the walk
	name   string   // base name in dir
	abs    string   // the path, for messages and lstat
	follow bool     // a symlink at name is followed
}

// stat describes the entry: lstat, or stat when symlinks are followed (a
// dangling link stays a link).
func (a at) stat() (fs.FileInfo, error) {
	fi, err := os.Lstat(a.abs)
	if err != nil || !a.follow || fi.Mode()&fs.ModeSymlink == 0 {
		return fi, err
	}
	if target, err := os.Stat(a.abs); err == nil {
		return target, nil
	}
	return fi, nil
}

// open opens the entry read-only relative to its directory, without
// following a symlink (unless a.follow) and without blocking (a named
// pipe swapped in opens at once), and checks with fstat that it is still
// the inode and type want describes. A mismatch is ErrReplaced.
func (a at) open(want fs.FileInfo, dir bool) (*os.File, error) {
	flags := unix.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_NOCTTY
	if !a.follow {
		flags |= unix.O_NOFOLLOW
	}
	if dir {
		flags |= unix.O_DIRECTORY
	}
	var fd int
	err := withFd(a.dir, func(dfd int) error {
		var err error
		for {
			fd, err = unix.Openat(dfd, a.name, flags, 0)
			if err != unix.EINTR {
				return err
			}
		}
	})
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EMLINK) || errors.Is(err, unix.ENOTDIR) {
		return nil, &fs.PathError{Op: "open", Path: a.abs,
			Err: fmt.Errorf("was a %s, now a symlink or another type: %w", typeName(want), ErrReplaced)}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: a.abs, Err: err}
	}
	f := os.NewFile(uintptr(fd), a.abs)
	got, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !os.SameFile(want, got) || want.Mode().Type() != got.Mode().Type() {
		f.Close()
		now := "a " + typeName(got)
		if typeName(got) == typeName(want) {
			now = "another " + typeName(got)
		}
		return nil, &fs.PathError{Op: "open", Path: a.abs,
			Err: fmt.Errorf("was a %s, now %s: %w", typeName(want), now, ErrReplaced)}
	}
	return f, nil
}

// readlink reads the target of the symlink relative to its directory.
func (a at) readlink() (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		var n int
		err := withFd(a.dir, func(dfd int) error {
			var err error
			n, err = unix.Readlinkat(dfd, a.name, buf)
			return err
		})
		if err != nil {
			return "", &fs.PathError{Op: "readlink", Path: a.abs, Err: err}
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// withFd calls fn with f's descriptor (without making f blocking, as
// f.Fd would).
func withFd(f *os.File, fn func(fd int) error) error {
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

// typeName says what kind of file fi is, in words.
func typeName(fi fs.FileInfo) string {
	m := fi.Mode()
	switch {
	case m.IsRegular():
		return "file"
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	}
	return "special file"
}
