package export

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/providers/provider"
)

// sqlReader is n bytes of a pg_dump-like COPY block, streamed.
type sqlReader struct {
	n, row int64
	buf    []byte
}

func (r *sqlReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	for len(r.buf) < len(p) {
		r.row++
		r.buf = fmt.Appendf(r.buf, "%d\tcustomer %d\tcustomer%d@example.com\t2026-%02d-%02d 05:15:00+00\t%d.%02d\tt\n",
			r.row, r.row*7919%100003, r.row, r.row%12+1, r.row%28+1, r.row%5000, r.row%100)
	}
	n := copy(p[:min(int64(len(p)), r.n)], r.buf)
	r.buf = r.buf[:copy(r.buf, r.buf[n:])]
	r.n -= int64(n)
	return n, nil
}

// sqlSnapshot writes a postgres source with one dump of mb MiB.
func sqlSnapshot(b *testing.B, r *repo.Repository, mb int) *repo.Manifest {
	ctx := context.Background()
	w, err := r.NewSnapshot(ctx, repo.SnapshotMeta{Backup: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	sw := w.Source("postgres", "app")
	n := int64(mb) << 20
	e := provider.Entry{Path: "app.sql", Kind: provider.KindFile, Mode: 0o600, ModTime: t0, Size: n}
	if err := sw.Put(ctx, e, &sqlReader{n: n}); err != nil {
		b.Fatal(err)
	}
	if err := sw.Finish(ctx, provider.Facts{Type: "postgres", Identity: "app"}); err != nil {
		b.Fatal(err)
	}
	m, err := w.Commit(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkExportSQL exports a SQL dump of VELIN_BENCH_EXPORT_MB MiB (64
// by default) plain, deflated by the ZIP or with --compress zstd, and
// reports the file's size against the dump's and the peak RSS of the
// export alone.
func BenchmarkExportSQL(b *testing.B) {
	mb := 64
	if v, err := strconv.Atoi(os.Getenv("VELIN_BENCH_EXPORT_MB")); err == nil && v > 0 {
		mb = v
	}
	r := newRepo(b)
	m := sqlSnapshot(b, r, mb)
	for _, compress := range []string{"", CompressZstd} {
		name := "deflate"
		if compress != "" {
			name = compress
		}
		b.Run(name, func(b *testing.B) {
			out := b.TempDir() + "/snap.zip"
			b.SetBytes(int64(mb) << 20)
			resetPeak()
			b.ResetTimer()
			for range b.N {
				if _, err := WriteFile(context.Background(), out, r, m, Options{Plain: true, Version: "bench", Now: t0, Compress: compress}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(peakRSS(), "peak-RSS-MiB")
			if st, err := os.Stat(out); err == nil {
				b.ReportMetric(float64(st.Size())/float64(int64(mb)<<20)*100, "size-%")
			}
			b.ReportMetric(readBack(b, out, m), "read-MB/s")
		})
	}
}

// readBack reads the dump back from the export as a restore does and
// returns the speed in MB/s of the dump's bytes.
func readBack(b *testing.B, path string, m *repo.Manifest) float64 {
	ctx := context.Background()
	a, f, err := OpenFile(path, "")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	tree, err := a.Tree(ctx, a.Snapshot(), m.Sources[0].Key)
	if err != nil {
		b.Fatal(err)
	}
	start, n := time.Now(), int64(0)
	err = tree.Walk(ctx, func(e provider.Entry) error {
		rc, err := tree.Open(ctx, e)
		if err != nil {
			return err
		}
		defer rc.Close()
		c, err := io.Copy(io.Discard, rc)
		n += c
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return float64(n) / 1e6 / time.Since(start).Seconds()
}
