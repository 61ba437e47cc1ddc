package repo

import (
	"encoding/binary"
	"errors"

	"github.com/klauspost/compress/huff0"
)

// Literal-only zstd frames (RFC 8878): every block is its bytes Huffman
// coded in four streams with no sequences, or stored raw, or one repeated
// byte. They skip zstd's match search, which on text of little repetition
// (hex, base64, random fields: most of a database dump's bytes) costs four
// fifths of the encoder's time for a few per cent of the size. Any zstd
// decoder reads them, so the repository format is unchanged.
const (
	zstdMagic        = 0xfd2fb528
	zstdSingleFCS4   = 0xa0      // frame header: 4-byte content size, single segment, no checksum, no dictionary
	zstdBlockMax     = 128 << 10 // a block's most content
	blockRaw         = 0
	blockRLE         = 1
	blockCompressed  = 2
	litsHuff4Streams = 2 | 3<<2 // literals: Huffman with its table, 4 streams, 18-bit sizes
	litsHeaderLen    = 5
)

// appendLiteralsFrame appends plain to dst as one literal-only zstd frame,
// cut into blocks of equal length of at most zstdBlockMax. s is the
// caller's Huffman scratch, reused between calls.
func appendLiteralsFrame(dst, plain []byte, s *huff0.Scratch) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, zstdMagic)
	dst = append(dst, zstdSingleFCS4)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(plain)))
	n := max(1, (len(plain)+zstdBlockMax-1)/zstdBlockMax)
	size := (len(plain) + n - 1) / n
	for i := range n {
		b := plain[min(i*size, len(plain)):min((i+1)*size, len(plain))]
		dst = appendLiteralsBlock(dst, b, i == n-1, s)
	}
	return dst
}

// appendLiteralsBlock appends one block holding b: Huffman coded when that
// is smaller, one byte repeated, or raw.
func appendLiteralsBlock(dst, b []byte, last bool, s *huff0.Scratch) []byte {
	s.Reuse = huff0.ReusePolicyNone // a table in every block: frames stand alone
	out, _, err := huff0.Compress4X(b, s)
	switch {
	case err == nil && len(out)+litsHeaderLen+1 < len(b):
		dst = appendBlockHeader(dst, last, blockCompressed, len(out)+litsHeaderLen+1)
		h := uint64(litsHuff4Streams) | uint64(len(b))<<4 | uint64(len(out))<<22
		dst = append(dst, byte(h), byte(h>>8), byte(h>>16), byte(h>>24), byte(h>>32))
		dst = append(dst, out...)
		return append(dst, 0) // no sequences: the block is its literals
	case len(b) > 0 && errors.Is(err, huff0.ErrUseRLE):
		dst = appendBlockHeader(dst, last, blockRLE, len(b))
		return append(dst, b[0])
	default:
		dst = appendBlockHeader(dst, last, blockRaw, len(b))
		return append(dst, b...)
	}
}

// appendBlockHeader appends a block header: last flag, type, and size (the
// content's length; for an RLE block the regenerated length).
func appendBlockHeader(dst []byte, last bool, typ, size int) []byte {
	h := uint32(typ)<<1 | uint32(size)<<3
	if last {
		h |= 1
	}
	return append(dst, byte(h), byte(h>>8), byte(h>>16))
}
