package repo

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/faulty"
	"github.com/velinhq/velin/engine/storage/s3"
	"github.com/velinhq/velin/engine/storage/s3/s3test"
	"github.com/velinhq/velin/engine/storage/s3/s3test/faultproxy"
	"github.com/velinhq/velin/providers/files"
	"github.com/velinhq/velin/providers/provider"
)

// restoreSite writes the tree the restore benchmarks restore: 1,000 small
// files (1 to 32 KiB, half text, half random) in 20 directories and 4
// large ones of 16 MiB (half text, half random): about 80 MiB.
func restoreSite(b *testing.B) (string, int64) {
	b.Helper()
	site := filepath.Join(b.TempDir(), "site")
	rng := rand.New(rand.NewPCG(7, 7))
	var total int64
	write := func(p string, data []byte) {
		p = filepath.Join(site, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(len(data))
	}
	for i := range 1000 {
		n := 1024 + rng.IntN(31<<10)
		data := textBytes(rng, n)
		if i%2 == 1 {
			data = randBytes(rng, n)
		}
		write(fmt.Sprintf("d%02d/f%04d", i%20, i), data)
	}
	for i := range 4 {
		write(fmt.Sprintf("large/%d.bin", i), append(textBytes(rng, 8<<20), randBytes(rng, 8<<20)...))
	}
	return site, total
}

// backupSite backs site up with the files provider into r.
func backupSite(b *testing.B, r *Repository, src *files.Source) *Manifest {
	b.Helper()
	ctx := context.Background()
	w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Plan: "p"})
	if err != nil {
		b.Fatal(err)
	}
	sw := w.Source("files", "site")
	facts, err := src.Backup(ctx, sw, provider.BackupOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if err := sw.Finish(ctx, facts); err != nil {
		b.Fatal(err)
	}
	m, err := w.Commit(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// benchFilesRestore backs restoreSite up into the storage setup returns
// (write: to back up; read: to restore from, wrapped to count requests)
// and measures a files restore of it into an empty directory: the
// repository opened afresh (cold tree cache), the plan's walk and the
// restore, as `velin backup restore` does.
func benchFilesRestore(b *testing.B, setup func(b *testing.B) (write, read storage.Storage)) {
	ctx := context.Background()
	site, total := restoreSite(b)
	src, err := files.New([]string{site}, nil, false, false)
	if err != nil {
		b.Fatal(err)
	}
	wst, rst := setup(b)
	w, err := Init(ctx, wst, testOptions())
	if err != nil {
		b.Fatal(err)
	}
	m := backupSite(b, w, src)
	w.Close()
	bytes := &byteCounter{Storage: rst}
	counted := faulty.New(bytes)
	b.SetBytes(total)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		r, err := Open(ctx, counted, testOptions())
		if err != nil {
			b.Fatal(err)
		}
		to := b.TempDir()
		before, readBefore := counted.Counts(), bytes.n.Load()
		start := time.Now()
		b.StartTimer()
		tree, err := r.Tree(ctx, m, "files.site")
		if err == nil {
			err = src.Restore(ctx, tree, provider.RestoreOptions{To: to})
		}
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		c := counted.Counts()
		b.ReportMetric(time.Since(start).Seconds(), "restore-s")
		b.ReportMetric(float64(c.Gets-before.Gets), "gets")
		b.ReportMetric(float64(c.Stats-before.Stats+c.Lists-before.Lists), "stats+lists")
		b.ReportMetric(float64(bytes.n.Load()-readBefore)/1e6, "read-MB")
		r.Close()
		b.StartTimer()
	}
}

// BenchmarkRestoreS3Latency restores restoreSite from MinIO through the
// fault proxy adding a latency of 0 to 40 ms (20 ms on average) to every
// request and no fault: a restore over a real network is bound by round
// trips, not bandwidth. The "direct" case talks to MinIO without the
// proxy. It reports the wall time, the GETs (range reads included) and
// MB/s. Needs MinIO (scripts/minio.sh). Run: go test -run '^$' -bench
// RestoreS3Latency -benchtime 2x ./engine/repo/
func BenchmarkRestoreS3Latency(b *testing.B) {
	for _, c := range []struct {
		name    string
		latency time.Duration // the most added; 0: no proxy
	}{{"direct", 0}, {"20ms", 40 * time.Millisecond}} {
		b.Run(c.name, func(b *testing.B) {
			benchFilesRestore(b, func(b *testing.B) (storage.Storage, storage.Storage) {
				return s3Latency(b, c.latency)
			})
		})
	}
}

// s3Latency returns a storage on a fresh bucket and one on the same
// bucket through the fault proxy with up to max latency (without proxy
// when max is 0).
func s3Latency(b *testing.B, max time.Duration) (direct, slow storage.Storage) {
	srv, bucket := s3test.Bucket(b)
	o := srv.Options(bucket, "repo")
	direct = newS3(b, o)
	if max == 0 {
		return direct, direct
	}
	proxy := faultproxy.Start(b, srv.Endpoint, faultproxy.Seed(b), faultproxy.Rates{Latency: 1, MaxLatency: max})
	o.Endpoint = proxy.URL
	return direct, newS3(b, o)
}

// BenchmarkRestoreFilesLocal is BenchmarkRestoreS3Latency on a local
// directory: the same restore with no round trip to hide.
func BenchmarkRestoreFilesLocal(b *testing.B) {
	benchFilesRestore(b, func(b *testing.B) (storage.Storage, storage.Storage) {
		st := localStorage(b)
		return st, st
	})
}

func newS3(b *testing.B, o s3.Options) storage.Storage {
	st, err := s3.New(context.Background(), o)
	if err != nil {
		b.Fatal(err)
	}
	return st
}

// byteCounter counts the bytes read from a storage's GetRange.
type byteCounter struct {
	storage.Storage
	n atomic.Int64
}

func (c *byteCounter) GetRange(ctx context.Context, name string, off, n int64) (io.ReadCloser, error) {
	rc, err := c.Storage.GetRange(ctx, name, off, n)
	if err != nil {
		return nil, err
	}
	return &countedBody{ReadCloser: rc, n: &c.n}, nil
}

type countedBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countedBody) Read(p []byte) (int, error) {
	k, err := b.ReadCloser.Read(p)
	b.n.Add(int64(k))
	return k, err
}
