package files

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/internal/peakrss"
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
		peakrss.Reset()
		start := time.Now()
		if err := s.Restore(context.Background(), millionTree{n: n}, provider.RestoreOptions{To: to}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(peakrss.MB(), "restore-peak-MB")
		b.ReportMetric(time.Since(start).Seconds(), "restore-s")
		if names, err := os.ReadDir(to + "/d"); err != nil || len(names) != n {
			b.Fatalf("restored %d files, want %d: %v", len(names), n, err)
		}
	}
}

// BenchmarkRestoreMillionBatch is BenchmarkRestoreMillion with files of
// one byte from a tree that reads in batches (provider.Batcher, as a
// repository does): the batches' entries and files held must not grow
// the peak. Run: go test -run '^$' -bench RestoreMillionBatch -benchtime
// 1x ./providers/files/
func BenchmarkRestoreMillionBatch(b *testing.B) {
	const n = 1_000_000
	s, err := New([]string{"/srv/d"}, nil, false, false)
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		to := b.TempDir()
		peakrss.Reset()
		start := time.Now()
		if err := s.Restore(context.Background(), batchMillionTree{millionTree{n: n, content: "x"}}, provider.RestoreOptions{To: to}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(peakrss.MB(), "restore-peak-MB")
		b.ReportMetric(time.Since(start).Seconds(), "restore-s")
		if names, err := os.ReadDir(to + "/d"); err != nil || len(names) != n {
			b.Fatalf("restored %d files, want %d: %v", len(names), n, err)
		}
	}
}

// batchMillionTree is a millionTree that reads in batches.
type batchMillionTree struct{ millionTree }

func (t batchMillionTree) ReadBatch(_ context.Context, files []provider.BatchFile) error {
	for _, f := range files {
		_, err := f.Out.WriteAt([]byte(t.content), 0)
		f.Done(err)
	}
	return nil
}

// BenchmarkPlanRestoreMillion plans the restore of BenchmarkRestoreMillion's
// directory into an empty destination and reports the peak RSS and time:
// the provider walks the tree as the restore does; what grows is the list
// of changes PlanRestore returns (provider.Source), one per file.
func BenchmarkPlanRestoreMillion(b *testing.B) {
	const n = 1_000_000
	s, err := New([]string{"/srv/d"}, nil, false, false)
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		peakrss.Reset()
		start := time.Now()
		changes, err := s.PlanRestore(context.Background(), millionTree{n: n}, provider.RestoreOptions{To: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(peakrss.MB(), "plan-peak-MB")
		b.ReportMetric(time.Since(start).Seconds(), "plan-s")
		if len(changes) != n || changes[n-1].Action != "create" {
			b.Fatalf("%d changes, want %d creates", len(changes), n)
		}
	}
}

// BenchmarkTestRestoreMillion runs a test restore (restore, then compare)
// of a directory of 1,000,000 files of one byte and reports its peak RSS
// and time. The bytes make the test restore hash every file's content.
func BenchmarkTestRestoreMillion(b *testing.B) {
	const n = 1_000_000
	s, err := New([]string{"/srv/d"}, nil, false, false)
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		peakrss.Reset()
		start := time.Now()
		rep, err := s.TestRestore(context.Background(), millionTree{n: n, content: "x"}, provider.TestRestoreOptions{Scratch: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(peakrss.MB(), "test-restore-peak-MB")
		b.ReportMetric(time.Since(start).Seconds(), "test-restore-s")
		if rep.Counts.Files != n {
			b.Fatalf("%d files compared, want %d", rep.Counts.Files, n)
		}
	}
}

// millionTree is a directory d of n files holding content (empty by
// default), made up as it is walked.
type millionTree struct {
	n       int
	content string
}

func (t millionTree) Walk(ctx context.Context, fn func(provider.Entry) error) error {
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := fn(provider.Entry{Path: "d", Kind: provider.KindDir, Mode: 0o755, ModTime: mtime}); err != nil {
		return err
	}
	for i := range t.n {
		e := provider.Entry{Path: fmt.Sprintf("d/upload-%07d.jpg", i), Kind: provider.KindFile, Mode: 0o644, ModTime: mtime,
			Size: int64(len(t.content))}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (t millionTree) Open(context.Context, provider.Entry) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(t.content)), nil
}
