package local

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/internal/directio"
)

// TestDirectPut: objects from directMin up, written with direct I/O where
// the filesystem allows it, read back exact whatever their length (whole
// blocks, a partial last block, a last block shorter than the copy
// buffer) and however the reader cuts its reads.
func TestDirectPut(t *testing.T) {
	s := newTestStorage(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	for i, n := range []int{directMin, directMin + 1, 3*copyBufSize + 123, 2*copyBufSize + directio.Block, directMin - 1} {
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		var r io.Reader = bytes.NewReader(data)
		if i%2 == 1 {
			r = iotest.HalfReader(r)
		}
		name := "data/ab/object" + string(rune('a'+i))
		if err := s.Put(ctx, name, r, int64(n), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		rc, err := s.Get(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%d bytes: read back %d bytes, equal %v, err %v", n, len(got), bytes.Equal(got, data), err)
		}
	}
}
