//go:build !race

package repo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/storage/local"
	"github.com/velinhq/velin/internal/memtune"
	"github.com/velinhq/velin/internal/peakrss"
	"github.com/velinhq/velin/providers/provider"
)

// BenchmarkStream backs up one stream (a single file, like a database
// dump) into a local repository and restores it, reporting each phase's
// peak RSS and time: issue 7's bound for a 50 GB stream. The sizes, in GB,
// come from VELIN_BENCH_STREAM_GB (default "1"; e.g. "5,10,50"); each
// needs about a third of its size free in the temporary directory. Run: go
// test -run '^$' -bench Stream -benchtime 1x ./engine/repo/
func BenchmarkStream(b *testing.B) {
	sizes := os.Getenv("VELIN_BENCH_STREAM_GB")
	if sizes == "" {
		sizes = "1"
	}
	for _, s := range strings.Split(sizes, ",") {
		gb, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || gb < 1 {
			b.Fatalf("VELIN_BENCH_STREAM_GB: %q is not a whole number of GB", s)
		}
		b.Run(fmt.Sprintf("%dGB", gb), func(b *testing.B) { benchStream(b, int64(gb)<<30) })
	}
}

func benchStream(b *testing.B, size int64) {
	memtune.Apply(os.Getenv) // as the velin command does
	ctx := context.Background()
	for range b.N {
		st, err := local.New(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		r, err := Init(ctx, st, testOptions())
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		peakrss.Reset()
		hs := startHeapSampler(b, "backup")
		start := time.Now()
		w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Plan: "p"})
		if err != nil {
			b.Fatal(err)
		}
		sw := w.Source("sqlite", "db")
		e := provider.Entry{Path: "dump.sql", Kind: provider.KindFile, Mode: 0o600, Size: size}
		if err := sw.Put(ctx, e, newStreamData(size)); err != nil {
			b.Fatal(err)
		}
		if err := sw.Finish(ctx, provider.Facts{Type: "sqlite", Identity: "db"}); err != nil {
			b.Fatal(err)
		}
		m, err := w.Commit(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		hs.end()
		b.ReportMetric(peakrss.MB(), "backup-peak-MB")
		b.ReportMetric(time.Since(start).Seconds(), "backup-s")
		_, blobs := r.idx.Counts()
		b.ReportMetric(float64(blobs), "blobs")
		peakrss.Reset()
		start = time.Now()
		if got := restoreStream(b, r, m); got != m.Sources[0].Checksum {
			b.Fatalf("restored stream has %s, backed up %s", got, m.Sources[0].Checksum)
		}
		b.ReportMetric(peakrss.MB(), "restore-peak-MB")
		b.ReportMetric(time.Since(start).Seconds(), "restore-s")
	}
}

// restoreStream reads the snapshot's only file back and returns its
// checksum as a manifest records it.
func restoreStream(b *testing.B, r *Repository, m *Manifest) string {
	ctx := context.Background()
	tr, err := r.Tree(ctx, m, m.Sources[0].Key)
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.New()
	err = tr.Walk(ctx, func(e provider.Entry) error {
		rc, err := tr.Open(ctx, e)
		if err != nil {
			return err
		}
		defer rc.Close()
		n, err := io.Copy(h, rc)
		if err == nil && n != e.Size {
			err = fmt.Errorf("restored %d of %d bytes", n, e.Size)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// streamData yields size bytes of text that compresses about 3:1 and
// never repeats a chunk: 1 MiB of pseudo-random words, again and again,
// with a running counter written every KiB.
type streamData struct {
	text      []byte
	off, left int64
	counter   uint64
}

func newStreamData(size int64) *streamData {
	text := bytes.Clone(textBytes(rand.New(rand.NewPCG(1, 2)), 1<<20)) // no spare capacity: it counts in the peak
	return &streamData{text: text, left: size}
}

func (d *streamData) Read(p []byte) (int, error) {
	if d.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && d.left > 0 {
		i := d.off % int64(len(d.text))
		k := int(min(int64(len(p)-n), int64(len(d.text))-i, d.left, 1024-d.off%1024))
		copy(p[n:n+k], d.text[i:])
		if d.off%1024 == 0 && k >= 8 {
			d.counter++
			binary.LittleEndian.PutUint64(p[n:], d.counter)
		}
		n, d.off, d.left = n+k, d.off+int64(k), d.left-int64(k)
	}
	return n, nil
}
