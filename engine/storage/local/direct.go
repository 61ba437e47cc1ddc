package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"unsafe"
)

const (
	// block is the alignment of direct writes, in the file and in memory.
	block = 4096
	// directMin is the smallest object written with direct I/O (packs
	// are 16 MiB; index files, manifests and locks stay in the cache,
	// where a read soon after finds them).
	directMin = 1 << 20
)

// copyCtx copies r to f until EOF through buf (copyBufSize bytes, aligned
// to block), checking ctx between reads. With direct it writes the whole
// blocks with O_DIRECT, from buf to the disk without a copy into the page
// cache (on a virtual machine that copy costs more CPU than the disk
// write), and a last partial block through the cache. Durability does not
// change: fill still fsyncs the file (its size, extents and the disk's
// cache) before the rename. A filesystem that refuses direct I/O, at the
// switch or at the first write, gets buffered writes.
func copyCtx(ctx context.Context, f *os.File, r io.Reader, buf []byte, direct bool) (int64, error) {
	direct = direct && aligned(buf) && startDirect(f)
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			var err error
			if direct, err = writeBlocks(f, buf[:n], direct); err != nil {
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

// writeBlocks writes p (aligned to block in the file and in memory) and
// returns whether direct I/O stays on: a refused direct write, or a
// partial last block, turns it off.
func writeBlocks(f *os.File, p []byte, direct bool) (bool, error) {
	if !direct {
		_, err := f.Write(p)
		return false, err
	}
	if whole := len(p) &^ (block - 1); whole > 0 {
		n, err := f.Write(p[:whole])
		if err != nil && !(n == 0 && isDirectRefused(err)) {
			return direct, err
		}
		if err == nil {
			p = p[whole:]
		}
	}
	if len(p) == 0 {
		return direct, nil
	}
	if err := stopDirect(f); err != nil {
		return direct, err
	}
	_, err := f.Write(p)
	return false, err
}

// alignedBuf returns a buffer of n bytes whose start is aligned to block.
func alignedBuf(n int) []byte {
	b := make([]byte, n+block)
	off := int(uintptr(unsafe.Pointer(&b[0])) & (block - 1))
	if off != 0 {
		off = block - off
	}
	return b[off : off+n : off+n]
}

func aligned(b []byte) bool {
	return len(b) > 0 && uintptr(unsafe.Pointer(&b[0]))&(block-1) == 0
}
