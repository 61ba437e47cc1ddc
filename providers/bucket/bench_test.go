package bucket

import (
	"context"
	"fmt"
	"testing"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

// BenchmarkBackup1000: a full and an unchanged incremental backup of a
// bucket of 1,000 objects of 1 KiB into memory. The incremental backup
// lists the bucket and reads nothing.
func BenchmarkBackup1000(b *testing.B) {
	f := newFixture(b, "")
	data := make([]byte, 1024)
	for i := range 1000 {
		f.put(b, f.buckets[0], fmt.Sprintf("d%d/o%04d", i%10, i), data)
	}
	ctx := context.Background()
	first := backupMem(b, f.src)
	b.Run("Full", func(b *testing.B) {
		for b.Loop() {
			backupMem(b, f.src)
		}
	})
	b.Run("Unchanged", func(b *testing.B) {
		for b.Loop() {
			snap := sourcetest.NewMemSnapshot(first)
			if _, err := f.src.Backup(ctx, snap, provider.BackupOptions{Incremental: true}); err != nil {
				b.Fatal(err)
			}
			if _, reused := snap.Counts(); reused != 1000 {
				b.Fatalf("reused %d of 1000", reused)
			}
		}
	})
}
