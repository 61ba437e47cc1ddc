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
