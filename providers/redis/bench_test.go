package redis

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

// benchKeys is the number of keys of the benchmarks' database
// (VELIN_BENCH_REDIS_KEYS, default 1,000,000): strings of 100 random
// bytes, realistic entropy.
func benchKeys(b *testing.B) int {
	if v := os.Getenv("VELIN_BENCH_REDIS_KEYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	return 1_000_000
}

func benchFill(b *testing.B, c *goredis.Client, n int) {
	ctx := context.Background()
	val := make([]byte, 100)
	for i := 0; i < n; i += 10000 {
		pipe := c.Pipeline()
		for j := i; j < i+10000 && j < n; j++ {
			rand.Read(val)
			pipe.Set(ctx, "key:"+strconv.Itoa(j), string(val), 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// discardSink counts what a backup writes and keeps nothing.
type discardSink struct {
	provider.Sink
	n int64
}

func (d *discardSink) Put(ctx context.Context, e provider.Entry, r io.Reader) error {
	n, err := io.Copy(io.Discard, r)
	d.n += n
	return err
}

// BenchmarkBackup copies a database of benchKeys keys (SCAN, DUMP, PTTL,
// the record stream) into a sink that discards it: the provider's cost,
// without the repository's chunking and encryption.
func BenchmarkBackup(b *testing.B) {
	o := dbtest.Redis(b)
	n := benchKeys(b)
	benchFill(b, connect(b, o), n)
	s := New(Server{Addr: o.Addr}, Options{DB: o.DB, ScratchDB: -1})
	b.ResetTimer()
	for range b.N {
		sink := &discardSink{}
		if _, err := s.Backup(context.Background(), sink, provider.BackupOptions{}); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(sink.n)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

// BenchmarkRDB is the reference: redis-cli --rdb, the server's own
// snapshot of every database (only the benchmark's holds keys) written to
// a local file.
func BenchmarkRDB(b *testing.B) {
	o := dbtest.Redis(b)
	benchFill(b, connect(b, o), benchKeys(b))
	host, port, _ := splitHostPort(o.Addr)
	out := filepath.Join(b.TempDir(), "dump.rdb")
	b.ResetTimer()
	for range b.N {
		cmd := exec.Command("redis-cli", "-h", host, "-p", port, "--rdb", out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("redis-cli --rdb: %v: %s", err, msg)
		}
	}
}

// BenchmarkRestore restores a snapshot of benchKeys keys in place
// (staged in a scratch database, swapped in, flush).
func BenchmarkRestore(b *testing.B) {
	o, scr := dbtest.Redis(b), dbtest.Redis(b)
	benchFill(b, connect(b, o), benchKeys(b))
	s := New(Server{Addr: o.Addr}, Options{DB: o.DB, ScratchDB: scr.DB, Flush: true})
	snap := sourcetest.NewMemSnapshot(nil)
	if _, err := s.Backup(context.Background(), snap, provider.BackupOptions{}); err != nil {
		b.Fatal(err)
	}
	tree := snap.Finish()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := s.Restore(context.Background(), tree, provider.RestoreOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchKeys(b))*float64(b.N)/time.Since(start).Seconds(), "keys/s")
}

func splitHostPort(addr string) (string, string, error) {
	srv, _, err := ParseAddr(addr)
	if err != nil {
		return "", "", fmt.Errorf("bench: %w", err)
	}
	h, p, _ := cutLast(srv.Addr, ":")
	return h, p, nil
}

func cutLast(s, sep string) (string, string, bool) {
	for i := len(s) - len(sep); i >= 0; i-- {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}
