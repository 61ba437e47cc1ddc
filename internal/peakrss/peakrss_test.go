package peakrss

import (
	"runtime"
	"testing"
)

// TestMBGrowsWithAllocation: touching 64 MB raises the peak by about that.
func TestMBGrowsWithAllocation(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("VmHWM is Linux-only")
	}
	Reset()
	before := MB()
	if before <= 0 {
		t.Fatalf("MB() = %v, want > 0", before)
	}
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	after := MB()
	runtime.KeepAlive(buf)
	if after-before < 50 {
		t.Fatalf("peak went from %.1f to %.1f MB after touching 64 MiB", before, after)
	}
}
