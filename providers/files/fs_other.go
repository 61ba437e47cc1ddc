//go:build !linux

package files

import (
	"errors"
	"os"
)

// canSyncFS is false here: every restored file is fsynced on its own.
const canSyncFS = false

func syncFS(*os.File) error { return errors.ErrUnsupported }

// preallocate does nothing here.
func preallocate(*os.File, int64) {}
