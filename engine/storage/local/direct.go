package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/velinhq/velin/internal/directio"
)

// directMin is the smallest object written with direct I/O (packs are
// 16 MiB; index files, manifests and locks stay in the cache, where a
// read soon after finds them).
const directMin = 1 << 20

// copyCtx copies r to f until EOF through buf (copyBufSize bytes, aligned
// to directio.Block), checking ctx between reads. With direct it writes
// the whole blocks with O_DIRECT, from buf to the disk without a copy into the page
// cache (on a virtual machine that copy costs more CPU than the disk
// write), and a last partial block through the cache. Durability does not
// change: fill still fsyncs the file (its size, extents and the disk's
// cache) before the rename. A filesystem that refuses direct I/O, at the
// switch or at the first write, gets buffered writes (see directio).
func copyCtx(ctx context.Context, f *os.File, r io.Reader, buf []byte, direct bool) (int64, error) {
	direct = direct && directio.Start(f, buf)
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			var err error
			if direct, err = directio.Write(f, buf[:n], direct); err != nil {
				return total, err
			}
			total += int64(n)
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			return total, nil
		}
		if rerr != nil {
			return total, fmt.Errorf("read: %w", rerr)
		}
	}
}
