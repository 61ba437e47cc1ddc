package files

import (
	"errors"
	"io"
	"os"

	"github.com/velinhq/velin/internal/directio"
)

// copyBufSize is the size of the writes of a restore: large and a multiple
// of the page size, so the kernel never zero-fills or merges a partial
// page in the middle of a file (content arrives in chunks of any length),
// and a direct write always starts aligned.
const copyBufSize = 256 * directio.Block

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
// bytes, aligned to directio.Block: see directio.AlignedBuf).
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
// switch or at the first write, gets buffered writes (see directio).
func copyContent(f *os.File, r io.Reader, mode writeMode, buf []byte) (int64, error) {
	if mode == writeDirect && !directio.Start(f, buf) {
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

// writeBlock writes p (whose start is aligned to directio.Block in the
// file and in memory) in mode, and returns the mode for what follows: a
// direct write that is refused, or a partial last block, turns direct I/O
// off.
func writeBlock(f *os.File, p []byte, mode writeMode) (writeMode, error) {
	if mode == writeSparse {
		return mode, writeSparseBlocks(f, p)
	}
	direct, err := directio.Write(f, p, mode == writeDirect)
	if !direct {
		mode = writeBuffered
	}
	return mode, err
}
