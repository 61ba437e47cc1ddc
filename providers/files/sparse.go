package files

import (
	"io"
	"os"
)

// block is the unit of hole detection when restoring a sparse file.
const block = 4096

// writeSparseBlocks writes the non-zero blocks of p at the current offset and
// seeks over the zero ones.
func writeSparseBlocks(f *os.File, p []byte) error {
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
