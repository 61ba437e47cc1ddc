//go:build !race

package repo

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/storage/local"
	"github.com/velinhq/velin/internal/memtune"
	"github.com/velinhq/velin/internal/peakrss"
	"github.com/velinhq/velin/providers/provider"
)

// BenchmarkDumpFile backs up a recorded database dump (the file named by
// VELIN_BENCH_DUMP, e.g. `pg_dump -Fp pgbench > /tmp/dump.sql` of
// ../shared/bench/pg-fixture.sh's database) as one stream into a fresh
// local repository: the repository's share of `velin backup create` of a
// database, without the dump tool competing for the cores. It reports the
// process's CPU seconds (user + system) per run beside the wall time, and
// the peak RSS. Run: VELIN_BENCH_DUMP=/tmp/dump.sql go test -run '^$'
// -bench DumpFile -benchtime 3x -cpuprofile /tmp/cpu.prof ./engine/repo/
func BenchmarkDumpFile(b *testing.B) {
	path := os.Getenv("VELIN_BENCH_DUMP")
	if path == "" {
		b.Skip("VELIN_BENCH_DUMP names no dump file")
	}
	memtune.Apply(os.Getenv) // as the velin command does
	ctx := context.Background()
	var cpu, wall time.Duration
	var stored int64
	for range b.N {
		dir := b.TempDir()
		st, err := local.New(dir)
		if err != nil {
			b.Fatal(err)
		}
		r, err := Init(ctx, st, testOptions())
		if err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		fi, err := f.Stat()
		if err != nil {
			b.Fatal(err)
		}
		peakrss.Reset()
		c0, t0 := cpuTime(b), time.Now()
		w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Plan: "p"})
		if err != nil {
			b.Fatal(err)
		}
		sw := w.Source("postgres", "db")
		e := provider.Entry{Path: "dump.sql", Kind: provider.KindFile, Mode: 0o600, Size: fi.Size()}
		if err := sw.Put(ctx, e, f); err != nil {
			b.Fatal(err)
		}
		if err := sw.Finish(ctx, provider.Facts{Type: "postgres", Identity: "db"}); err != nil {
			b.Fatal(err)
		}
		if _, err := w.Commit(ctx, nil); err != nil {
			b.Fatal(err)
		}
		cpu, wall = cpu+cpuTime(b)-c0, wall+time.Since(t0)
		stored = dirBytes(b, dir)
		b.SetBytes(fi.Size())
		_ = f.Close()
		_ = r.Close()
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/op")
	b.ReportMetric(peakrss.MB(), "peak-MB")
	b.ReportMetric(float64(stored)/1e6, "stored-MB")
}

// dirBytes is the size of the files under dir.
func dirBytes(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		n += fi.Size()
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
