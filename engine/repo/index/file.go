package index

import (
	"encoding/binary"
	"fmt"

	"github.com/velinhq/velin/engine/repo/pack"
)

// AAD is the additional data index files are sealed with.
const AAD = "velin index"

const magic = "VLI1"

// maxPacks bounds the pack count one index file may claim.
const maxPacks = 1 << 20

// Pack lists the blobs of one pack.
type Pack struct {
	ID    pack.ID
	Blobs []pack.Blob
}

// Encode returns the plaintext of an index file listing packs.
func Encode(packs []Pack) []byte {
	out := []byte(magic)
	out = binary.AppendUvarint(out, uint64(len(packs)))
	for _, p := range packs {
		out = append(out, p.ID[:]...)
		out = binary.AppendUvarint(out, uint64(len(p.Blobs)))
		out = pack.AppendRecords(out, p.Blobs)
	}
	return out
}

// Decode parses the plaintext of an index file. It never panics on
// arbitrary input; malformed input is pack.ErrFormat.
func Decode(buf []byte) ([]Pack, error) {
	if len(buf) < len(magic) || string(buf[:len(magic)]) != magic {
		return nil, fmt.Errorf("decode index: bad magic: %w", pack.ErrFormat)
	}
	buf = buf[len(magic):]
	n, k := binary.Uvarint(buf)
	if k <= 0 || n > maxPacks || n > uint64(len(buf))/33 {
		return nil, fmt.Errorf("decode index: bad pack count: %w", pack.ErrFormat)
	}
	buf = buf[k:]
	packs := make([]Pack, 0, n)
	for range n {
		if len(buf) < 33 {
			return nil, fmt.Errorf("decode index: short: %w", pack.ErrFormat)
		}
		var p Pack
		copy(p.ID[:], buf[:32])
		buf = buf[32:]
		c, k := binary.Uvarint(buf)
		if k <= 0 || c > pack.MaxHeaderRecords {
			return nil, fmt.Errorf("decode index: bad blob count: %w", pack.ErrFormat)
		}
		blobs, rest, err := pack.DecodeRecords(buf[k:], int(c), -1)
		if err != nil {
			return nil, fmt.Errorf("decode index: %w", err)
		}
		p.Blobs, buf = blobs, rest
		packs = append(packs, p)
	}
	if len(buf) != 0 {
		return nil, fmt.Errorf("decode index: %d trailing bytes: %w", len(buf), pack.ErrFormat)
	}
	return packs, nil
}
