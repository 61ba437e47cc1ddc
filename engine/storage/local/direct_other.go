//go:build !linux

package local

import "os"

// startDirect reports false here: objects are always written through the
// page cache.
func startDirect(*os.File) bool { return false }

func stopDirect(*os.File) error { return nil }

func isDirectRefused(error) bool { return false }
