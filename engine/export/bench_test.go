package export

import (
	"context"
	"io"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/providers/provider"
)

// randReader is n bytes of incompressible data, streamed.
type randReader struct {
	r *rand.ChaCha8
	n int64
}

func (r *randReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	r.r.Read(p)
	r.n -= int64(len(p))
	return len(p), nil
}

// bigSnapshot writes a files source of mb MiB in 64 MiB files.
func bigSnapshot(b *testing.B, r *repo.Repository, mb int) *repo.Manifest {
	ctx := context.Background()
	w, err := r.NewSnapshot(ctx, repo.SnapshotMeta{Backup: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	sw := w.Source("files", "big")
	if err := sw.Put(ctx, provider.Entry{Path: "big", Kind: provider.KindDir, Mode: 0o755, ModTime: t0}, nil); err != nil {
		b.Fatal(err)
	}
	for i := 0; i*64 < mb; i++ {
		n := int64(min(64, mb-i*64)) << 20
		e := provider.Entry{Path: "big/f" + strconv.Itoa(i), Kind: provider.KindFile, Mode: 0o644, ModTime: t0, Size: n}
		if err := sw.Put(ctx, e, &randReader{r: rand.NewChaCha8([32]byte{byte(i)}), n: n}); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Finish(ctx, provider.Facts{Type: "files", Identity: "/big"}); err != nil {
		b.Fatal(err)
	}
	m, err := w.Commit(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// peakRSS is the process's peak resident set (VmHWM) in MiB; resetPeak
// starts a new measurement (Linux).
func peakRSS() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func resetPeak() {
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// BenchmarkExport exports a snapshot of VELIN_BENCH_EXPORT_MB MiB (64 by
// default; docs/performance.md used 1024), encrypted, to a file, and
// reports the peak RSS of the export alone (after the snapshot was made).
func BenchmarkExport(b *testing.B) {
	mb := 64
	if v, err := strconv.Atoi(os.Getenv("VELIN_BENCH_EXPORT_MB")); err == nil && v > 0 {
		mb = v
	}
	r := newRepo(b)
	m := bigSnapshot(b, r, mb)
	out := b.TempDir() + "/snap.zip"
	wf, _ := strconv.Atoi(os.Getenv("VELIN_BENCH_EXPORT_WF")) // 0: age's default, 18 (scrypt: 256 MiB)
	b.SetBytes(int64(mb) << 20)
	resetPeak()
	base := peakRSS()
	b.ResetTimer()
	for range b.N {
		if _, err := WriteFile(context.Background(), out, r, m, Options{Passphrase: testPass, Version: "bench", Now: t0, WorkFactor: wf}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(peakRSS(), "peak-RSS-MiB")
	b.ReportMetric(base, "RSS-before-MiB")
	resetPeak()
	a, f, err := OpenFile(out, testPass)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := a.Verify(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(peakRSS(), "verify-peak-RSS-MiB")
}
