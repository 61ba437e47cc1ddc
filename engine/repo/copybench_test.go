package repo

import (
	"context"
	"testing"

	"github.com/velinhq/velin/internal/peakrss"
)

// BenchmarkCopyLocal copies the ~64 MiB benchmark snapshot between two
// local repositories with different passphrases (same chunking): every
// blob is opened and sealed again. Compare with BenchmarkBackupLocal.
func BenchmarkCopyLocal(b *testing.B) { benchCopy(b, false) }

// Both report the copy's peak RSS (the highest of the iterations).

// BenchmarkCopyLocalRechunk is the same into a repository with its own
// chunker keys: the files are read back and re-chunked.
func BenchmarkCopyLocalRechunk(b *testing.B) { benchCopy(b, true) }

func benchCopy(b *testing.B, rechunk bool) {
	ctx := context.Background()
	src, err := Init(ctx, localStorage(b), testOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	items := benchData()
	var total int64
	for _, it := range items {
		total += int64(len(it.data))
	}
	m := backup(b, src, nil, "files", "bench", items)
	b.SetBytes(total)
	b.ReportAllocs()
	peak := 0.0
	for b.Loop() {
		b.StopTimer()
		o := testOptions()
		o.Passphrase = "another passphrase"
		var dst *Repository
		if rechunk {
			dst, err = Init(ctx, localStorage(b), o)
		} else {
			dst, err = InitCopyTarget(ctx, localStorage(b), o, src)
		}
		if err != nil {
			b.Fatal(err)
		}
		peakrss.Reset()
		b.StartTimer()
		st, err := Copy(ctx, src, dst, m.ID)
		if err != nil || st.Rechunked != rechunk {
			b.Fatalf("%+v, %v", st, err)
		}
		b.StopTimer()
		peak = max(peak, peakrss.MB())
		if again, err := Copy(ctx, src, dst, m.ID); err != nil || !again.Present {
			b.Fatalf("copy again: %+v, %v", again, err)
		}
		dst.Close()
		b.StartTimer()
	}
	b.ReportMetric(peak, "peak-MB")
}
