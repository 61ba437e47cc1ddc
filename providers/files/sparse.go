package files

import (
	"errors"
	"io"
	"os"
)

// block is the unit of hole detection when restoring a sparse file.
const block = 4096

// copyContent copies r into f. For a sparse entry, all-zero 4 KiB blocks
// are skipped with a seek and the file is truncated to its full size at
// the end, so the holes come back as holes.
func copyContent(f *os.File, r io.Reader, sparse bool) (int64, error) {
	if !sparse {
		return io.Copy(f, r)
	}
	buf := make([]byte, 256*block)
	var total int64
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if werr := writeSparse(f, buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return total, f.Truncate(total)
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
