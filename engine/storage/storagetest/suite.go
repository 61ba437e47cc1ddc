package storagetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/velinhq/velin/engine/storage"
)

// Run runs the whole suite against fresh storages from newStorage.
func Run(t *testing.T, newStorage func(t *testing.T) storage.Storage) {
	tests := []struct {
		name string
		fn   func(*testing.T, storage.Storage)
	}{
		{"RoundTrip", testRoundTrip},
		{"PutReader", testPutReader},
		{"PutSizeMismatch", testPutSizeMismatch},
		{"PutReaderError", testPutReaderError},
		{"GetRange", testGetRange},
		{"GetRangeBeyondEnd", testGetRangeBeyondEnd},
		{"ModTime", testModTime},
		{"NotFound", testNotFound},
		{"PrefixIsNotAnObject", testPrefixIsNotAnObject},
		{"Overwrite", testOverwrite},
		{"IfAbsent", testIfAbsent},
		{"IfAbsentRace", testIfAbsentRace},
		{"Delete", testDelete},
		{"List", testList},
		{"ListStops", testListStops},
		{"Concurrent", testConcurrent},
		{"CanceledContext", testCanceledContext},
		{"CancelDuringPut", testCancelDuringPut},
		{"InvalidNames", testInvalidNames},
		{"Location", testLocation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStorage(t)) })
	}
}

func testRoundTrip(t *testing.T, s storage.Storage) {
	cases := []struct {
		name    string
		size    int
		unknown bool // announce size -1
	}{
		{"rt/empty", 0, false},
		{"rt/empty-unknown", 0, true},
		{"rt/one", 1, false},
		{"rt/small-unknown", 100 << 10, true},
		{"rt/deep/er/name.bin", 4097, false},
		{"rt/big", 20 << 20, false},
		{"rt/big-unknown", 20<<20 + 3, true},
	}
	for i, c := range cases {
		data := Content(uint64(i+1), c.size)
		size := int64(len(data))
		if c.unknown {
			size = -1
		}
		if err := s.Put(context.Background(), c.name, bytes.NewReader(data), size, storage.PutOptions{}); err != nil {
			t.Fatalf("Put(%q, %d bytes, size %d): %v", c.name, len(data), size, err)
		}
		sameBytes(t, "Get("+c.name+")", get(t, s, c.name), data)
		oi, err := s.Stat(context.Background(), c.name)
		if err != nil {
			t.Fatalf("Stat(%q): %v", c.name, err)
		}
		if oi.Name != c.name || oi.Size != int64(c.size) {
			t.Errorf("Stat(%q) = %+v, want size %d", c.name, oi, c.size)
		}
	}
}

// testPutReader checks that Put reads to EOF and does not close the reader.
func testPutReader(t *testing.T, s storage.Storage) {
	data := Content(7, 300<<10)
	pr := &probeReader{r: bytes.NewReader(data)}
	if err := s.Put(context.Background(), "reader/x", pr, int64(len(data)), storage.PutOptions{}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if pr.closed {
		t.Error("Put closed the reader")
	}
	if !pr.eof {
		t.Error("Put did not read the reader to EOF")
	}
	sameBytes(t, "Get", get(t, s, "reader/x"), data)
}

func testPutSizeMismatch(t *testing.T, s storage.Storage) {
	data := Content(8, 1000)
	for _, size := range []int64{999, 1001, 0} {
		err := s.Put(context.Background(), "mismatch", bytes.NewReader(data), size, storage.PutOptions{})
		if err == nil {
			t.Errorf("Put of %d bytes announced as %d succeeded", len(data), size)
		}
		wantAbsent(t, s, "mismatch")
	}
}

func testPutReaderError(t *testing.T, s storage.Storage) {
	errBoom := errors.New("reader broke")
	for _, size := range []int64{3 << 20, -1} {
		r := &failingReader{data: Content(9, 2<<20), err: errBoom}
		err := s.Put(context.Background(), "broken/reader", r, size, storage.PutOptions{})
		if !errors.Is(err, errBoom) {
			t.Errorf("Put with a failing reader (size %d): got %v, want it to wrap the reader's error", size, err)
		}
		wantAbsent(t, s, "broken/reader")
	}
	if got := list(t, s, ""); len(got) != 0 {
		t.Errorf("failed Puts left objects: %v", got)
	}
}

func testGetRange(t *testing.T, s storage.Storage) {
	data := Content(10, 100_000)
	put(t, s, "range/obj", data)
	n := int64(len(data))
	cases := []struct{ off, length, from, to int64 }{
		{0, n, 0, n},
		{0, -1, 0, n},
		{1000, 5000, 1000, 6000},
		{54321, -1, 54321, n},
		{n - 1, 1, n - 1, n},
		{n - 10, -1, n - 10, n},
		{n, -1, n, n},
		{n, 10, n, n},
		{n, 0, n, n},
		{0, 0, 0, 0},
		{500, 0, 500, 500},
	}
	for _, c := range cases {
		got, err := getRange(s, "range/obj", c.off, c.length)
		if err != nil {
			t.Errorf("GetRange(%d, %d): %v", c.off, c.length, err)
			continue
		}
		sameBytes(t, "GetRange", got, data[c.from:c.to])
	}
	if _, err := getRange(s, "range/obj", -1, 10); !errors.Is(err, storage.ErrInvalidRange) {
		t.Errorf("GetRange with a negative offset: got %v, want ErrInvalidRange", err)
	}
}

func testGetRangeBeyondEnd(t *testing.T, s storage.Storage) {
	data := Content(11, 4096)
	put(t, s, "beyond", data)
	got, err := getRange(s, "beyond", 4000, 1000)
	if err != nil {
		t.Fatalf("GetRange running past the end: %v", err)
	}
	sameBytes(t, "GetRange running past the end", got, data[4000:])
	for _, off := range []int64{4097, 1 << 20} {
		for _, length := range []int64{10, 0, -1} {
			got, err := getRange(s, "beyond", off, length)
			if !errors.Is(err, storage.ErrInvalidRange) {
				t.Errorf("GetRange(%d, %d) past the end: got %d bytes and error %v, want ErrInvalidRange", off, length, len(got), err)
			}
		}
	}
}
