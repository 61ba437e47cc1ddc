//go:build !linux

package readahead

import "os"

// growPipe: pipes keep their system's size outside Linux.
func growPipe(*os.File, int) int { return 0 }

// queued: unknown outside Linux (Paced writes at once).
func queued(*os.File) (int, bool) { return 0, false }
