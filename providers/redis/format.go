package redis

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// header starts every database entry (see doc.go for the format).
const header = "VELIN-REDIS-DUMP 1\n"

// Record tags.
const (
	tagKey = 'K'
	tagEnd = 'E'
)

// Limits a reader enforces, so that damaged data cannot ask for huge
// allocations: Redis keys are at most 512 MB, and so are strings; a DUMP
// payload of a collection may be larger, but not past 4 GB here.
const (
	maxKey     = 512 << 20
	maxPayload = 4 << 30
)

// ErrFormat means a database entry is not a complete record stream.
var ErrFormat = errors.New("not a complete velin redis dump")

// record is one key of a database entry.
type record struct {
	Key      []byte
	ExpireAt int64 // unix milliseconds; 0: no expiry
	Payload  []byte
}

// recordWriter writes the record stream of one database.
type recordWriter struct {
	w   *bufio.Writer
	n   int64
	buf [binary.MaxVarintLen64]byte
}

func newRecordWriter(w io.Writer) (*recordWriter, error) {
	rw := &recordWriter{w: bufio.NewWriterSize(w, 256<<10)}
	_, err := rw.w.WriteString(header)
	return rw, err
}

func (rw *recordWriter) uvarint(v uint64) {
	rw.w.Write(rw.buf[:binary.PutUvarint(rw.buf[:], v)])
}

// add writes one record.
func (rw *recordWriter) add(r record) error {
	rw.w.WriteByte(tagKey)
	rw.uvarint(uint64(len(r.Key)))
	rw.w.Write(r.Key)
	rw.w.Write(rw.buf[:binary.PutVarint(rw.buf[:], r.ExpireAt)])
	rw.uvarint(uint64(len(r.Payload)))
	_, err := rw.w.Write(r.Payload)
	rw.n++
	return err
}

// close writes the end record (the number of records) and flushes.
func (rw *recordWriter) close() error {
	rw.w.WriteByte(tagEnd)
	rw.uvarint(uint64(rw.n))
	return rw.w.Flush()
}

// recordReader reads a record stream written by recordWriter.
type recordReader struct {
	r    *bufio.Reader
	n    int64
	done bool
}

func newRecordReader(r io.Reader) (*recordReader, error) {
	rr := &recordReader{r: bufio.NewReaderSize(r, 256<<10)}
	h := make([]byte, len(header))
	if _, err := io.ReadFull(rr.r, h); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrFormat, noEOF(err))
	}
	if string(h) != header {
		return nil, fmt.Errorf("%w: unknown header %q", ErrFormat, h)
	}
	return rr, nil
}

// next returns the next record, or io.EOF after a valid end record.
func (rr *recordReader) next() (record, error) {
	if rr.done {
		return record{}, io.EOF
	}
	tag, err := rr.r.ReadByte()
	if err != nil {
		return record{}, fmt.Errorf("%w: after %d records: %w", ErrFormat, rr.n, noEOF(err))
	}
	switch tag {
	case tagEnd:
		return record{}, rr.end()
	case tagKey:
	default:
		return record{}, fmt.Errorf("%w: record %d has tag %#x", ErrFormat, rr.n+1, tag)
	}
	var r record
	if r.Key, err = rr.bytes(maxKey); err == nil {
		if r.ExpireAt, err = binary.ReadVarint(rr.r); err == nil {
			r.Payload, err = rr.bytes(maxPayload)
		}
	}
	if err != nil {
		return record{}, fmt.Errorf("%w: record %d: %w", ErrFormat, rr.n+1, noEOF(err))
	}
	rr.n++
	return r, nil
}

func (rr *recordReader) end() error {
	n, err := binary.ReadUvarint(rr.r)
	if err != nil {
		return fmt.Errorf("%w: end record: %w", ErrFormat, noEOF(err))
	}
	if int64(n) != rr.n {
		return fmt.Errorf("%w: end record says %d records, read %d", ErrFormat, n, rr.n)
	}
	if _, err := rr.r.ReadByte(); err != io.EOF {
		return fmt.Errorf("%w: data after the end record", ErrFormat)
	}
	rr.done = true
	return io.EOF
}

func (rr *recordReader) bytes(limit uint64) ([]byte, error) {
	n, err := binary.ReadUvarint(rr.r)
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("length %d exceeds %d", n, limit)
	}
	b := make([]byte, n)
	_, err = io.ReadFull(rr.r, b)
	return b, err
}

// noEOF turns a clean EOF in the middle of a stream into ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
