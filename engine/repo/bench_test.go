package repo

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/local"
	"github.com/velinhq/velin/providers/provider"
)

// benchData is ~64 MiB like the benchmark tree: many small files (half
// text, half random) and one large half-compressible file.
func benchData() []item {
	rng := rand.New(rand.NewPCG(42, 42))
	var items []item
	for i := range 2000 {
		n := 1024 + rng.IntN(20<<10)
		data := textBytes(rng, n)
		if i%2 == 1 {
			data = randBytes(rng, n)
		}
		items = append(items, fileItem(fmt.Sprintf("d%02d/f%04d", i%50, i), data, benchTime))
	}
	big := append(textBytes(rng, 20<<20), randBytes(rng, 20<<20)...)
	return append(items, fileItem("large.bin", big, benchTime))
}

func benchBackup(b *testing.B, newStorage func(b *testing.B) storage.Storage, level int, workers int) {
	items := benchData()
	var total int64
	for _, it := range items {
		total += int64(len(it.data))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		o := testOptions()
		o.Compression = level
		r, err := Init(ctx, newStorage(b), o)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		w, _ := r.NewSnapshot(ctx, SnapshotMeta{})
		sw := w.Source("files", "bench")
		ch := make(chan item)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for it := range ch {
					if err := sw.Put(ctx, it.e, bytes.NewReader(it.data)); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for _, it := range items {
			ch <- it
		}
		close(ch)
		wg.Wait()
		if err := sw.Finish(ctx, provider.Facts{}); err != nil {
			b.Fatal(err)
		}
		if _, err := w.Commit(ctx, nil); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		p := w.Progress()
		b.ReportMetric(float64(p.BytesStored)/float64(total), "stored/read")
		r.Close()
		b.StartTimer()
	}
}

func localStorage(b *testing.B) storage.Storage {
	st, err := local.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return st
}

func BenchmarkBackupLocal(b *testing.B) { benchBackup(b, localStorage, 0, 1) }

func BenchmarkBackupLocalParallelPut(b *testing.B) {
	benchBackup(b, localStorage, 0, runtime.NumCPU())
}

func BenchmarkBackupLevels(b *testing.B) {
	for _, level := range []int{-1, 1, 3, 9} {
		b.Run(fmt.Sprintf("zstd%d", level), func(b *testing.B) { benchBackup(b, localStorage, level, 1) })
	}
}

func BenchmarkRestore(b *testing.B) {
	ctx := context.Background()
	st := localStorage(b)
	r, err := Init(ctx, st, testOptions())
	if err != nil {
		b.Fatal(err)
	}
	items := benchData()
	m := backup(b, r, nil, "files", "bench", items)
	b.SetBytes(m.Size)
	for b.Loop() {
		readAll(b, r, m, "files.bench")
	}
}
