//go:build !linux

package directio

import (
	"errors"
	"os"
)

// setDirect refuses here: files are always written through the page
// cache (turning direct I/O off, which it never is, succeeds).
func setDirect(_ *os.File, on bool) error {
	if on {
		return errors.ErrUnsupported
	}
	return nil
}

// isRefused is false here: no write is ever direct.
func isRefused(error) bool { return false }
