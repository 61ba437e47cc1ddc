package files

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

// benchSource writes n random files of size bytes under site/, spread over
// dirs directories, and returns a files source over it.
func benchSource(b *testing.B, n, size, dirs int) *Source {
	b.Helper()
	site := filepath.Join(b.TempDir(), "site")
	data := make([]byte, size)
	for i := range n {
		rand.Read(data)
		p := filepath.Join(site, fmt.Sprintf("d%02d/f%04d", i%dirs, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	s, err := New([]string{site}, nil, false, false)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkRestore restores 64 files of 1 MiB.
func BenchmarkRestore(b *testing.B) {
	s := benchSource(b, 64, 1<<20, 8)
	snap := sourcetest.NewMemSnapshot(nil)
	if _, err := s.Backup(context.Background(), snap, provider.BackupOptions{}); err != nil {
		b.Fatal(err)
	}
	tree := snap.Finish()
	b.SetBytes(64 << 20)
	b.ResetTimer()
	for b.Loop() {
		if err := s.Restore(context.Background(), tree, provider.RestoreOptions{To: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBackupIncrementalUnchanged measures an incremental backup of
// 2,000 small files none of which changed: the walk, the stat comparison
// with the parent and Reuse, no content read.
func BenchmarkBackupIncrementalUnchanged(b *testing.B) {
	s := benchSource(b, 2000, 4096, 50)
	first := sourcetest.NewMemSnapshot(nil)
	if _, err := s.Backup(context.Background(), first, provider.BackupOptions{}); err != nil {
		b.Fatal(err)
	}
	parent := first.Finish()
	b.ResetTimer()
	for b.Loop() {
		snap := sourcetest.NewMemSnapshot(parent)
		if _, err := s.Backup(context.Background(), snap, provider.BackupOptions{Incremental: true}); err != nil {
			b.Fatal(err)
		}
		if puts, _ := snap.Counts(); puts > 51 { // the root and its 50 directories
			b.Fatalf("%d entries read again, want only the root and its 50 directories", puts)
		}
	}
}
