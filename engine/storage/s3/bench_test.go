package s3_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/storagetest"
)

// BenchmarkPut16MiB stores a pack-sized object (one PutObject), and one of
// unknown size (a multipart upload), on MinIO.
func BenchmarkPut16MiB(b *testing.B) {
	data := storagetest.Content(1, 16<<20)
	for _, size := range []int64{int64(len(data)), -1} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			s, _, _ := newStorage(b, "bench")
			b.SetBytes(int64(len(data)))
			for i := 0; b.Loop(); i++ {
				name := fmt.Sprintf("data/%02x/pack", i%256)
				if err := s.Put(context.Background(), name, bytes.NewReader(data), size, storage.PutOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGetRange64KiB reads blob-sized ranges of a pack, as a restore
// does.
func BenchmarkGetRange64KiB(b *testing.B) {
	s, _, _ := newStorage(b, "bench")
	data := storagetest.Content(2, 16<<20)
	put(b, s, "data/pack", data)
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(buf)))
	for i := 0; b.Loop(); i++ {
		off := int64(i%255) * int64(len(buf))
		rc, err := s.GetRange(context.Background(), "data/pack", off, int64(len(buf)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(rc, buf); err != nil {
			b.Fatal(err)
		}
		rc.Close()
		if !bytes.Equal(buf, data[off:off+int64(len(buf))]) {
			b.Fatal("range content differs")
		}
	}
}
