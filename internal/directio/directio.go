package directio

import (
	"fmt"
	"io"
	"os"
	"unsafe"
)

// Block is the alignment of direct writes, in the file and in memory.
const Block = 4096

// AlignedBuf returns a buffer of n bytes (n > 0) whose start is aligned
// to Block, with no capacity past its length.
func AlignedBuf(n int) []byte {
	b := make([]byte, n+Block)
	off := int(uintptr(unsafe.Pointer(&b[0])) & (Block - 1))
	if off != 0 {
		off = Block - off
	}
	return b[off : off+n : off+n]
}

// Aligned says whether b is not empty and starts aligned to Block.
func Aligned(b []byte) bool {
	return len(b) > 0 && uintptr(unsafe.Pointer(&b[0]))&(Block-1) == 0
}

// Start switches f, which is empty, to direct I/O for writes from buf. It
// reports false, and leaves f as it was, when buf is not aligned, the
// filesystem refuses direct I/O or the platform has none.
func Start(f *os.File, buf []byte) bool {
	return Aligned(buf) && setDirect(f, true) == nil
}

// Write writes p, whose start is aligned to Block in the file and in
// memory, to f, and returns whether direct I/O stays on. With direct off
// it is a plain write. With direct on it writes the whole blocks of p
// directly, then turns direct I/O off and writes the rest through the
// page cache: the partial last block, or all of p when the filesystem
// refuses the direct write.
func Write(f *os.File, p []byte, direct bool) (bool, error) {
	return write(f, func() error { return stop(f) }, p, direct)
}

// write is Write on w, with stop turning direct I/O off.
func write(w io.Writer, stop func() error, p []byte, direct bool) (bool, error) {
	if !direct {
		_, err := w.Write(p)
		return false, err
	}
	if whole := len(p) &^ (Block - 1); whole > 0 {
		n, err := w.Write(p[:whole])
		if err != nil && !(n == 0 && isRefused(err)) {
			return direct, err
		}
		if err == nil {
			p = p[whole:]
		}
	}
	if len(p) == 0 {
		return direct, nil
	}
	if err := stop(); err != nil {
		return direct, err
	}
	_, err := w.Write(p)
	return false, err
}

// stop switches f back to writes through the page cache.
func stop(f *os.File) error {
	if err := setDirect(f, false); err != nil {
		return fmt.Errorf("direct io: stop %s: %w", f.Name(), err)
	}
	return nil
}
