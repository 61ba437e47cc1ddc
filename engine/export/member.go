package export

import (
	"archive/zip"
	"io"
)

// member is one file of an export: a ZIP entry, or an object of an
// export unpacked into a storage (storage.go).
type member interface {
	// size is the content's length, uncompressed.
	size() int64
	// open reads the content; the caller closes it.
	open() (io.ReadCloser, error)
	// stored says where the content lies as it is (not compressed), for
	// tree.tar's random access: ok is false for a deflated ZIP entry.
	stored() (ra io.ReaderAt, off int64, ok bool)
}

// zipMember is an entry of a ZIP read from ra (the plaintext ZIP).
type zipMember struct {
	f  *zip.File
	ra io.ReaderAt
}

func (m zipMember) size() int64                  { return int64(m.f.UncompressedSize64) }
func (m zipMember) open() (io.ReadCloser, error) { return m.f.Open() }

func (m zipMember) stored() (io.ReaderAt, int64, bool) {
	if m.f.Method != zip.Store {
		return nil, 0, false
	}
	off, err := m.f.DataOffset()
	if err != nil {
		return nil, 0, false
	}
	return m.ra, off, true
}
