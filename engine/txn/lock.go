package txn

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// fileLock is an exclusive flock on a file. The kernel releases it when
// the process dies, however it dies; a zombie holds no lock.
type fileLock struct{ f *os.File }

// errBusy means another process holds the lock.
var errBusy = errors.New("locked by another process")

// tryLock takes the lock on path without waiting (errBusy when held).
func tryLock(path string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errBusy
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &fileLock{f: f}, nil
}

// waitLock takes the lock on path, waiting until ctx ends.
func waitLock(ctx context.Context, path string) (*fileLock, error) {
	for {
		l, err := tryLock(path)
		if !errors.Is(err, errBusy) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// held reports whether some process holds the lock on path.
func held(path string) bool {
	l, err := tryLock(path)
	if err != nil {
		return errors.Is(err, errBusy)
	}
	l.Unlock()
	return false
}

// Unlock releases the lock.
func (l *fileLock) Unlock() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
