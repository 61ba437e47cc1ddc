package memtune

import (
	"runtime/debug"
	"testing"
)

// TestApply: without GOGC velin's target is set; with GOGC the user's
// stays.
func TestApply(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	Apply(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != GCPercent {
		t.Fatalf("without GOGC: GC percent %d, want %d", got, GCPercent)
	}
	Apply(func(k string) string {
		if k == "GOGC" {
			return "100"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("with GOGC=100: GC percent %d, want 100 kept", got)
	}
}
