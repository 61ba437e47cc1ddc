package memtune

import "runtime/debug"

// GCPercent is velin's collection target: the heap grows by half its live
// size between collections instead of Go's default doubling. velin's
// garbage is small (pack, chunk and read buffers are reused), so the
// collector runs about twice as often for little CPU, and the peak RSS of
// a long backup is about 1.5x rather than 2x what is live.
const GCPercent = 50

// Apply sets GCPercent unless the user chose one: GOGC in the
// environment (getenv) wins, as Go documents it.
func Apply(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}
