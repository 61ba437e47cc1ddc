package counting

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/local"
	"github.com/velinhq/velin/engine/storage/storagetest"
)

func newCounting(t *testing.T) *Storage {
	t.Helper()
	inner, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return New(inner)
}

func TestSuite(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Storage { return newCounting(t) })
}

// TestCounts makes each kind of call a different number of times and
// checks each counter, so a call counted under another kind shows.
func TestCounts(t *testing.T) {
	s := newCounting(t)
	ctx := context.Background()
	for i := range 6 {
		data := []byte{byte(i)}
		if err := s.Put(ctx, "p", bytes.NewReader(data), 1, storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		rc, err := s.Get(ctx, "p")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, rc)
		rc.Close()
	}
	for range 4 {
		rc, err := s.GetRange(ctx, "p", 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	for range 3 {
		if _, err := s.Stat(ctx, "missing"); err == nil {
			t.Fatal("Stat of a missing object succeeded")
		}
	}
	for range 2 {
		if err := s.List(ctx, "", func(storage.ObjectInfo) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	before := Counts{Put: 1}
	want := Counts{List: 2, Get: 5, GetRange: 4, Stat: 3, Put: 6, Delete: 1}
	if got := s.Counts(); got != want {
		t.Errorf("Counts() = %+v, want %+v", got, want)
	}
	if got := s.Counts().Sub(before); got.Put != 5 || got.Total() != 20 {
		t.Errorf("Sub = %+v (total %d), want 5 puts of 20 calls", got, got.Total())
	}
}
