//go:build !linux

package files

import (
	"errors"
	"os"
	"time"
)

// canSyncFS is false here: every restored file is fsynced on its own.
const canSyncFS = false

func syncFS(*os.File) error { return errors.ErrUnsupported }

// preallocate does nothing here.
func preallocate(*os.File, int64) {}

// setTimes sets the access and modification times of name in dir (the
// open file f) to t.
func setTimes(dir *os.Root, name string, _ *os.File, t time.Time) error {
	return dir.Chtimes(name, t, t)
}

// startWriteback does nothing here: the batch's sync writes everything.
func startWriteback(*os.File) {}
