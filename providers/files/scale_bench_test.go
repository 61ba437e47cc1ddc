package files

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

// BenchmarkRestoreMillion restores one directory of 1,000,000 empty files
// from a tree that makes its entries up as it walks (it holds none, so the
// figure is the restore's own) and reports the peak RSS (VmHWM, Linux) and
// time: issue 7's 200 MB bound. Run: go test -run '^$' -bench
// RestoreMillion -benchtime 1x ./providers/files/
func BenchmarkRestoreMillion(b *testing.B) {
	const n = 1_000_000
	s, err := New([]string{"/srv/d"}, nil, false, false)
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		to := b.TempDir()
		runtime.GC()
		debug.FreeOSMemory()
		_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
		start := time.Now()
		if err := s.Restore(context.Background(), millionTree{n: n}, provider.RestoreOptions{To: to}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(peakRSS(), "restore-peak-MB")
		b.ReportMetric(time.Since(start).Seconds(), "restore-s")
		if names, err := os.ReadDir(to + "/d"); err != nil || len(names) != n {
			b.Fatalf("restored %d files, want %d: %v", len(names), n, err)
		}
	}
}

// millionTree is a directory d of n empty files, made up as it is walked.
type millionTree struct{ n int }

func (t millionTree) Walk(ctx context.Context, fn func(provider.Entry) error) error {
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := fn(provider.Entry{Path: "d", Kind: provider.KindDir, Mode: 0o755, ModTime: mtime}); err != nil {
		return err
	}
	for i := range t.n {
		e := provider.Entry{Path: fmt.Sprintf("d/upload-%07d.jpg", i), Kind: provider.KindFile, Mode: 0o644, ModTime: mtime}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (millionTree) Open(context.Context, provider.Entry) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("")), nil
}

// peakRSS is the process's peak resident set size in MB (Linux; else 0).
func peakRSS() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1000
		}
	}
	return 0
}
