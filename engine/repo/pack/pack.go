package pack

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrFormat means bytes do not decode as what they claim to be.
var ErrFormat = errors.New("malformed data")

// ID names a blob (HMAC-SHA256 of its plaintext) or a pack (SHA-256 of the file).
type ID [32]byte

// String is the lower-case hex form.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether id is all zeros (unset).
func (id ID) IsZero() bool { return id == ID{} }

// ParseID decodes 64 hex digits.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 64 {
		return id, fmt.Errorf("parse id %q: %w", s, ErrFormat)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("parse id %q: %w", s, ErrFormat)
	}
	return id, nil
}

// HashID is the SHA-256 of data, the id of a pack file.
func HashID(data []byte) ID { return sha256.Sum256(data) }

// Kind is what a blob holds.
type Kind uint8

const (
	KindData Kind = 1 // a chunk of file content
	KindTree Kind = 2 // an encoded directory
)

// String names the kind for messages.
func (k Kind) String() string {
	switch k {
	case KindData:
		return "data"
	case KindTree:
		return "tree"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// FlagCompressed marks a blob whose body is zstd-compressed.
const FlagCompressed uint8 = 1

// Blob describes one blob inside a pack.
type Blob struct {
	Kind   Kind
	Flags  uint8
	ID     ID
	Offset uint32 // from the start of the pack
	Length uint32 // stored (sealed) length
	RawLen uint32 // plaintext length
}

// AAD is the additional authenticated data a blob is sealed with: its kind
// and id, so a blob cannot be passed off as another.
func AAD(k Kind, id ID) []byte {
	b := make([]byte, 1+len(id))
	b[0] = byte(k)
	copy(b[1:], id[:])
	return b
}

// magic ends every pack file, after the header length.
const magic = "VLP\x01"

// TrailerLen is the size of the fixed trailer (header length + magic).
const TrailerLen = 8

// HeaderAAD is the additional data pack headers are sealed with.
const HeaderAAD = "velin pack header"

// MaxHeaderRecords bounds the count a header or index may claim per pack.
const MaxHeaderRecords = 1 << 20

// AppendRecords appends the binary records of blobs (without a count).
func AppendRecords(dst []byte, blobs []Blob) []byte {
	for _, b := range blobs {
		dst = append(dst, byte(b.Kind), b.Flags)
		dst = append(dst, b.ID[:]...)
		dst = binary.AppendUvarint(dst, uint64(b.Offset))
		dst = binary.AppendUvarint(dst, uint64(b.Length))
		dst = binary.AppendUvarint(dst, uint64(b.RawLen))
	}
	return dst
}

// DecodeRecords reads n records from buf, checking each lies within
// packLen bytes (packLen < 0: no bound). It returns the rest of buf.
func DecodeRecords(buf []byte, n int, packLen int64) ([]Blob, []byte, error) {
	if n < 0 || n > MaxHeaderRecords || n > len(buf)/35 {
		return nil, nil, fmt.Errorf("decode records: count %d: %w", n, ErrFormat)
	}
	out := make([]Blob, 0, n)
	for range n {
		if len(buf) < 34 {
			return nil, nil, fmt.Errorf("decode records: short: %w", ErrFormat)
		}
		b := Blob{Kind: Kind(buf[0]), Flags: buf[1]}
		copy(b.ID[:], buf[2:34])
		buf = buf[34:]
		var vals [3]uint64
		for i := range vals {
			v, k := binary.Uvarint(buf)
			if k <= 0 || v > 1<<32-1 {
				return nil, nil, fmt.Errorf("decode records: bad varint: %w", ErrFormat)
			}
			vals[i], buf = v, buf[k:]
		}
		b.Offset, b.Length, b.RawLen = uint32(vals[0]), uint32(vals[1]), uint32(vals[2])
		if err := b.validate(packLen); err != nil {
			return nil, nil, err
		}
		out = append(out, b)
	}
	return out, buf, nil
}

func (b Blob) validate(packLen int64) error {
	if b.Kind != KindData && b.Kind != KindTree {
		return fmt.Errorf("blob %s: kind %d: %w", b.ID, b.Kind, ErrFormat)
	}
	if b.Flags&^FlagCompressed != 0 {
		return fmt.Errorf("blob %s: flags %#x: %w", b.ID, b.Flags, ErrFormat)
	}
	if packLen >= 0 && int64(b.Offset)+int64(b.Length) > packLen {
		return fmt.Errorf("blob %s: outside pack: %w", b.ID, ErrFormat)
	}
	return nil
}

// MarshalText encodes the id as hex (JSON strings in trees).
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText decodes 64 hex digits.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}
