package files

import (
	"errors"
	"io"
	"os"
	"unsafe"
)

// copyBufSize is the size of the writes of a restore: large and a multiple
// of the page size, so the kernel never zero-fills or merges a partial
// page in the middle of a file (content arrives in chunks of any length),
// and a direct write always starts aligned.
const copyBufSize = 256 * block

// directMin is the smallest file written with direct I/O. Below it the
// page cache wins: a direct write waits for the disk, and a small file's
// data is a small part of the batch's sync.
const directMin = 128 << 10

// writeMode says how copyContent writes a file.
type writeMode int

const (
	writeBuffered writeMode = iota // through the page cache
	writeSparse                    // through the cache, zero blocks as holes
	writeDirect                    // O_DIRECT where the filesystem allows it
)

// modeFor chooses how to write an entry of size bytes.
func modeFor(size int64, sparse bool) writeMode {
	switch {
	case sparse:
		return writeSparse
	case size >= directMin:
		return writeDirect
	}
	return writeBuffered
}

// copyContent copies r into f, which is empty, through buf (copyBufSize
// bytes, aligned to block: see alignedBuf).
//
// writeSparse skips all-zero 4 KiB blocks with a seek and truncates the
// file to its full size at the end, so the holes come back as holes.
//
// writeDirect writes the whole blocks with O_DIRECT, from buf to the disk
// without a copy into the page cache (on a virtual machine that copy costs
// more than the disk write itself), and the last partial block through the
// cache. Durability does not change: the file still waits for the batch's
// sync (or its own fsync), which makes its size and extents durable and
// flushes the disk's cache. A filesystem that refuses direct I/O, at the
// switch or at the first write, gets buffered writes.
func copyContent(f *os.File, r io.Reader, mode writeMode, buf []byte) (int64, error) {
	if mode == writeDirect && (!aligned(buf) || !startDirect(f)) {
		mode = writeBuffered
	}
	var total int64
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			var werr error
			mode, werr = writeBlock(f, buf[:n], mode)
			if werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if mode == writeSparse {
				return total, f.Truncate(total)
			}
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// writeBlock writes p (whose start is aligned to block in the file and in
// memory) in mode, and returns the mode for what follows: a direct write
// that is refused, or a partial last block, turns direct I/O off.
func writeBlock(f *os.File, p []byte, mode writeMode) (writeMode, error) {
	switch mode {
	case writeSparse:
		return mode, writeSparseBlocks(f, p)
	case writeBuffered:
		_, err := f.Write(p)
		return mode, err
	}
	whole := len(p) &^ (block - 1)
	if whole > 0 {
		n, err := f.Write(p[:whole])
		if err != nil && !(n == 0 && isDirectRefused(err)) {
			return mode, err
		}
		if err == nil {
			p = p[whole:]
		}
	}
	if len(p) == 0 {
		return mode, nil
	}
	if err := stopDirect(f); err != nil {
		return mode, err
	}
	_, err := f.Write(p)
	return writeBuffered, err
}

// alignedBuf returns a buffer of n bytes whose start is aligned to block,
// as direct I/O needs.
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
