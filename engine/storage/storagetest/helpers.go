package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/velinhq/velin/engine/storage"
)

// Content returns n deterministic pseudo-random bytes for seed; other tests
// may use it to make objects whose content can be checked.
func Content(seed uint64, n int) []byte {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	return b
}

func put(t testing.TB, s storage.Storage, name string, data []byte) {
	t.Helper()
	if err := s.Put(context.Background(), name, bytes.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
		t.Fatalf("Put(%q, %d bytes): %v", name, len(data), err)
	}
}

// readAll reads and closes rc.
func readAll(rc io.ReadCloser) ([]byte, error) {
	b, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	return b, err
}

func get(t testing.TB, s storage.Storage, name string) []byte {
	t.Helper()
	rc, err := s.Get(context.Background(), name)
	if err != nil {
		t.Fatalf("Get(%q): %v", name, err)
	}
	b, err := readAll(rc)
	if err != nil {
		t.Fatalf("Get(%q): read: %v", name, err)
	}
	return b
}

func getRange(s storage.Storage, name string, off, length int64) ([]byte, error) {
	rc, err := s.GetRange(context.Background(), name, off, length)
	if err != nil {
		return nil, err
	}
	return readAll(rc)
}

// sameBytes reports a mismatch without dumping megabytes into the log.
func sameBytes(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	t.Errorf("%s: got %d bytes, want %d; first difference at offset %d", what, len(got), len(want), i)
}

// list returns name → size of every listed object and fails on duplicates.
func list(t testing.TB, s storage.Storage, prefix string) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	err := s.List(context.Background(), prefix, func(oi storage.ObjectInfo) error {
		if _, dup := got[oi.Name]; dup {
			return fmt.Errorf("%q listed twice", oi.Name)
		}
		got[oi.Name] = oi.Size
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return got
}

func sameListing(t testing.TB, prefix string, got, want map[string]int64) {
	t.Helper()
	var diffs []string
	for n, sz := range want {
		g, ok := got[n]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("missing %q", n))
		case g != sz:
			diffs = append(diffs, fmt.Sprintf("%q size %d, want %d", n, g, sz))
		}
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			diffs = append(diffs, fmt.Sprintf("unexpected %q", n))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("List(%q): %v", prefix, diffs)
	}
}

func wantNotFound(t testing.TB, what string, err error) {
	t.Helper()
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("%s: got error %v, want ErrNotFound", what, err)
	}
}

func wantAbsent(t testing.TB, s storage.Storage, name string) {
	t.Helper()
	_, err := s.Stat(context.Background(), name)
	wantNotFound(t, "Stat("+name+")", err)
}

// probeReader is a bytes.Reader that records Close and reaching EOF.
type probeReader struct {
	r      *bytes.Reader
	closed bool
	eof    bool
}

func (p *probeReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err == io.EOF {
		p.eof = true
	}
	return n, err
}

func (p *probeReader) Close() error { p.closed = true; return nil }

// failingReader yields data, then fails with err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(b []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(b, f.data)
	f.data = f.data[n:]
	return n, nil
}

// cancelingReader cancels its context after the first read, and keeps
// yielding data.
type cancelingReader struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.cancel()
	return n, err
}
