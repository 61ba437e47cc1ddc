package files

import (
	"errors"
	"io"
	"os"
)

// block is the unit of hole detection when restoring a sparse file.
const block = 4096

// copyBufSize is the size of the writes of a restore: large and a multiple
// of the page size, so the kernel never zero-fills or merges a partial
// page in the middle of a file (content arrives in chunks of any length).
const copyBufSize = 256 * block

// copyContent copies r into f through buf (copyBufSize bytes). For a
// sparse entry, all-zero 4 KiB blocks are skipped with a seek and the file
// is truncated to its full size at the end, so the holes come back as
// holes.
func copyContent(f *os.File, r io.Reader, sparse bool, buf []byte) (int64, error) {
	var total int64
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			var werr error
			if sparse {
				werr = writeSparse(f, buf[:n])
			} else {
				_, werr = f.Write(buf[:n])
			}
			if werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if sparse {
				return total, f.Truncate(total)
			}
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// writeSparse writes the non-zero blocks of p at the current offset and
// seeks over the zero ones.
func writeSparse(f *os.File, p []byte) error {
	for len(p) > 0 {
		n := min(block, len(p))
		if allZero(p[:n]) {
			if _, err := f.Seek(int64(n), io.SeekCurrent); err != nil {
				return err
			}
		} else {
			end := n
			for end < len(p) && !allZero(p[end:min(end+block, len(p))]) {
				end = min(end+block, len(p))
			}
			if _, err := f.Write(p[:end]); err != nil {
				return err
			}
			n = end
		}
		p = p[n:]
	}
	return nil
}

func allZero(p []byte) bool {
	for _, b := range p {
		if b != 0 {
			return false
		}
	}
	return true
}
