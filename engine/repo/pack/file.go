package pack

import (
	"encoding/binary"
	"fmt"
)

// Sealer seals and opens headers; *crypto.Key implements it.
type Sealer interface {
	Seal(dst, plaintext, aad []byte) []byte
	Open(dst, sealed, aad []byte) ([]byte, error)
}

// Builder assembles one pack in memory. It is not safe for concurrent use.
type Builder struct {
	buf   []byte
	blobs []Blob
}

// NewBuilder returns an empty builder with capacity for about size bytes.
func NewBuilder(size int) *Builder {
	return &Builder{buf: make([]byte, 0, size)}
}

// NewBuilderBuf is NewBuilder over the storage of buf (a finished pack's
// bytes, once written out), so packs reuse one buffer.
func NewBuilderBuf(buf []byte) *Builder {
	return &Builder{buf: buf[:0]}
}

// Add appends a sealed blob.
func (b *Builder) Add(kind Kind, flags uint8, id ID, stored []byte, rawLen int) {
	b.blobs = append(b.blobs, Blob{
		Kind: kind, Flags: flags, ID: id,
		Offset: uint32(len(b.buf)), Length: uint32(len(stored)), RawLen: uint32(rawLen),
	})
	b.buf = append(b.buf, stored...)
}

// Size is the number of blob bytes so far.
func (b *Builder) Size() int { return len(b.buf) }

// Count is the number of blobs so far.
func (b *Builder) Count() int { return len(b.blobs) }

// Finish appends the sealed header and trailer and returns the pack bytes,
// its id and its blobs. The builder must not be used afterwards.
func (b *Builder) Finish(s Sealer) ([]byte, ID, []Blob) {
	hdr := binary.AppendUvarint(nil, uint64(len(b.blobs)))
	hdr = AppendRecords(hdr, b.blobs)
	start := len(b.buf)
	out := s.Seal(b.buf, hdr, []byte(HeaderAAD))
	out = binary.LittleEndian.AppendUint32(out, uint32(len(out)-start))
	out = append(out, magic...)
	return out, HashID(out), b.blobs
}

// ReadTrailer decodes the trailer (the last TrailerLen bytes of a pack of
// packLen bytes) and returns the sealed header's offset and length.
func ReadTrailer(trailer []byte, packLen int64) (off, n int64, err error) {
	if len(trailer) != TrailerLen || string(trailer[4:]) != magic {
		return 0, 0, fmt.Errorf("pack trailer: bad magic: %w", ErrFormat)
	}
	n = int64(binary.LittleEndian.Uint32(trailer[:4]))
	if n > packLen-TrailerLen {
		return 0, 0, fmt.Errorf("pack trailer: header length %d: %w", n, ErrFormat)
	}
	return packLen - TrailerLen - n, n, nil
}

// DecodeHeader opens a sealed header and decodes its records, checking that
// every blob lies before the header (at hdrOff).
func DecodeHeader(s Sealer, sealed []byte, hdrOff int64) ([]Blob, error) {
	plain, err := s.Open(nil, sealed, []byte(HeaderAAD))
	if err != nil {
		return nil, fmt.Errorf("pack header: %w", err)
	}
	return ParseHeader(plain, hdrOff)
}

// ParseHeader decodes an opened header.
func ParseHeader(plain []byte, hdrOff int64) ([]Blob, error) {
	n, k := binary.Uvarint(plain)
	if k <= 0 || n > MaxHeaderRecords {
		return nil, fmt.Errorf("pack header: bad count: %w", ErrFormat)
	}
	blobs, rest, err := DecodeRecords(plain[k:], int(n), hdrOff)
	if err != nil {
		return nil, fmt.Errorf("pack header: %w", err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("pack header: %d trailing bytes: %w", len(rest), ErrFormat)
	}
	return blobs, nil
}
