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

// startDirect reports false here: restores always write through the cache.
func startDirect(*os.File) bool { return false }

func stopDirect(*os.File) error { return nil }

func isDirectRefused(error) bool { return false }

// startWriteback does nothing here: the batch's sync writes everything.
func startWriteback(*os.File) {}
