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

// BenchmarkRestore restores 64 files of 1 MiB.
func BenchmarkRestore(b *testing.B) {
	dir := b.TempDir()
	data := make([]byte, 1<<20)
	for i := range 64 {
		rand.Read(data)
		p := filepath.Join(dir, "site", fmt.Sprintf("d%d/f%d", i%8, i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, data, 0o644)
	}
	s, _ := New([]string{filepath.Join(dir, "site")}, nil, false, false)
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
	dir := b.TempDir()
	data := make([]byte, 4096)
	for i := range 2000 {
		rand.Read(data)
		p := filepath.Join(dir, "site", fmt.Sprintf("d%02d/f%04d", i%50, i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, data, 0o644)
	}
	s, _ := New([]string{filepath.Join(dir, "site")}, nil, false, false)
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
