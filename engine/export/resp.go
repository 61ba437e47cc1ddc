package export

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// velin's Redis record stream (providers/redis/doc.go): a header line, then
// 'K' records (uvarint key length, key, varint expiry in unix ms, uvarint
// payload length, DUMP payload), then 'E' and the uvarint record count.
//
// In the ZIP each record is the command RESTORE key expiry payload REPLACE
// ABSTTL (expiry 0: none; an expiry already past makes Redis skip the key),
// which `redis-cli --pipe` replays.
const (
	redisHeader = "VELIN-REDIS-DUMP 1\n"
	redisSuffix = ".rdbdump"
	respSuffix  = ".resp"
	maxBulk     = 4 << 30 // the provider's own payload limit
	restoreHead = "*6\r\n$7\r\nRESTORE\r\n"
	restoreTail = "$7\r\nREPLACE\r\n$6\r\nABSTTL\r\n"
)

// errRESP means an entry is not what toRESP writes or reads.
var errRESP = errors.New("not a velin redis dump")

// toRESP turns a record stream into RESTORE commands, streaming keys and
// payloads (nothing is held whole).
func toRESP(dst io.Writer, src io.Reader) error {
	r := bufio.NewReaderSize(src, 64<<10)
	w := bufio.NewWriterSize(dst, 64<<10)
	head := make([]byte, len(redisHeader))
	if _, err := io.ReadFull(r, head); err != nil || string(head) != redisHeader {
		return fmt.Errorf("redis dump header: %w", errRESP)
	}
	for {
		tag, err := r.ReadByte()
		if err != nil {
			return fmt.Errorf("redis dump: %w", io.ErrUnexpectedEOF)
		}
		if tag == 'E' {
			if _, err := binary.ReadUvarint(r); err != nil {
				return fmt.Errorf("redis dump end record: %w", errRESP)
			}
			return w.Flush()
		}
		if tag != 'K' {
			return fmt.Errorf("redis dump record tag %q: %w", tag, errRESP)
		}
		if err := recordToRESP(w, r); err != nil {
			return err
		}
	}
}

func recordToRESP(w *bufio.Writer, r *bufio.Reader) error {
	klen, err := binary.ReadUvarint(r)
	if err != nil || klen > maxBulk {
		return fmt.Errorf("redis dump key: %w", errRESP)
	}
	fmt.Fprintf(w, "%s$%d\r\n", restoreHead, klen)
	if _, err := io.CopyN(w, r, int64(klen)); err != nil {
		return fmt.Errorf("redis dump key: %w", err)
	}
	exp, err := binary.ReadVarint(r)
	if err != nil {
		return fmt.Errorf("redis dump expiry: %w", errRESP)
	}
	plen, err := binary.ReadUvarint(r)
	if err != nil || plen > maxBulk {
		return fmt.Errorf("redis dump payload: %w", errRESP)
	}
	ttl := strconv.FormatInt(exp, 10)
	fmt.Fprintf(w, "\r\n$%d\r\n%s\r\n$%d\r\n", len(ttl), ttl, plen)
	if _, err := io.CopyN(w, r, int64(plen)); err != nil {
		return fmt.Errorf("redis dump payload: %w", err)
	}
	_, err = w.WriteString("\r\n" + restoreTail)
	return err
}

// fromRESP turns what toRESP wrote back into a record stream.
func fromRESP(dst io.Writer, src io.Reader) error {
	r := bufio.NewReaderSize(src, 64<<10)
	w := bufio.NewWriterSize(dst, 64<<10)
	w.WriteString(redisHeader)
	var n uint64
	buf := make([]byte, binary.MaxVarintLen64)
	for {
		if _, err := r.Peek(1); err == io.EOF {
			break
		}
		if err := recordFromRESP(w, r, buf); err != nil {
			return fmt.Errorf("redis export record %d: %w", n+1, err)
		}
		n++
	}
	w.WriteByte('E')
	w.Write(buf[:binary.PutUvarint(buf, n)])
	return w.Flush()
}

func recordFromRESP(w *bufio.Writer, r *bufio.Reader, buf []byte) error {
	if err := expect(r, restoreHead); err != nil {
		return err
	}
	klen, err := readBulk(r)
	if err != nil {
		return err
	}
	w.WriteByte('K')
	w.Write(buf[:binary.PutUvarint(buf, uint64(klen))])
	if err := copyBulk(w, r, klen); err != nil {
		return err
	}
	tlen, err := readBulk(r)
	if err != nil || tlen > 20 {
		return errRESP
	}
	ttl := make([]byte, tlen+2)
	if _, err := io.ReadFull(r, ttl); err != nil {
		return errRESP
	}
	exp, err := strconv.ParseInt(strings.TrimSuffix(string(ttl), "\r\n"), 10, 64)
	if err != nil {
		return errRESP
	}
	w.Write(buf[:binary.PutVarint(buf, exp)])
	plen, err := readBulk(r)
	if err != nil {
		return err
	}
	w.Write(buf[:binary.PutUvarint(buf, uint64(plen))])
	if err := copyBulk(w, r, plen); err != nil {
		return err
	}
	return expect(r, restoreTail)
}

// copyBulk copies n bytes and checks the CRLF after them.
func copyBulk(w io.Writer, r *bufio.Reader, n int64) error {
	if _, err := io.CopyN(w, r, n); err != nil {
		return errRESP
	}
	return expect(r, "\r\n")
}

func expect(r *bufio.Reader, s string) error {
	b := make([]byte, len(s))
	if _, err := io.ReadFull(r, b); err != nil || string(b) != s {
		return errRESP
	}
	return nil
}

// readBulk reads "$<n>\r\n" and returns n.
func readBulk(r *bufio.Reader) (int64, error) {
	line, err := r.ReadString('\n')
	if err != nil || len(line) < 4 || line[0] != '$' || !strings.HasSuffix(line, "\r\n") {
		return 0, errRESP
	}
	n, err := strconv.ParseInt(line[1:len(line)-2], 10, 64)
	if err != nil || n < 0 || n > maxBulk {
		return 0, errRESP
	}
	return n, nil
}
