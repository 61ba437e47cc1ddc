package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/velinhq/velin/engine/storage"
)

// testConcurrent has 8 goroutines put and read back their own objects.
func testConcurrent(t *testing.T, s storage.Storage) {
	const workers, perWorker = 8, 8
	want := map[string]int64{}
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		for i := range perWorker {
			want[fmt.Sprintf("conc/%d/%d", w, i)] = int64(1 + (w*perWorker+i)*4099)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				if err := putAndCheck(s, fmt.Sprintf("conc/%d/%d", w, i), Content(uint64(w*100+i), 1+(w*perWorker+i)*4099)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	sameListing(t, "conc/", list(t, s, "conc/"), want)
}

func putAndCheck(s storage.Storage, name string, data []byte) error {
	ctx := context.Background()
	if err := s.Put(ctx, name, bytes.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
		return err
	}
	rc, err := s.Get(ctx, name)
	if err != nil {
		return err
	}
	got, err := readAll(rc)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("get %s: content differs (%d bytes, want %d)", name, len(got), len(data))
	}
	return nil
}

func testCanceledContext(t *testing.T, s storage.Storage) {
	put(t, s, "ctx/present", []byte("here"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	wantCanceled := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: got %v, want context.Canceled", what, err)
		}
	}
	wantCanceled("Put", s.Put(ctx, "ctx/new", bytes.NewReader([]byte("x")), 1, storage.PutOptions{}))
	_, err := s.Get(ctx, "ctx/present")
	wantCanceled("Get", err)
	_, err = s.GetRange(ctx, "ctx/present", 0, 2)
	wantCanceled("GetRange", err)
	_, err = s.Stat(ctx, "ctx/present")
	wantCanceled("Stat", err)
	wantCanceled("List", s.List(ctx, "", func(storage.ObjectInfo) error { return nil }))
	wantCanceled("Delete", s.Delete(ctx, "ctx/present"))
	sameListing(t, "", list(t, s, ""), map[string]int64{"ctx/present": 4})
}

func testCancelDuringPut(t *testing.T, s storage.Storage) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	data := Content(30, 8<<20)
	r := &cancelingReader{r: bytes.NewReader(data), cancel: cancel}
	err := s.Put(ctx, "ctx/mid", r, int64(len(data)), storage.PutOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Put canceled while reading: got %v, want context.Canceled", err)
	}
	wantAbsent(t, s, "ctx/mid")
}

var invalidNames = []string{
	"", "/abs", "..", "../up", "a/../b", "a/..", ".", "./a", "a/./b",
	"a//b", "a/", "/", "a\\b", "a\x00b", "a\nb", "caf\xc3\xa9",
}

func testInvalidNames(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	for _, name := range invalidNames {
		if err := s.Put(ctx, name, bytes.NewReader([]byte("x")), 1, storage.PutOptions{}); err == nil {
			t.Errorf("Put(%q) succeeded", name)
		}
		if rc, err := s.Get(ctx, name); err == nil {
			rc.Close()
			t.Errorf("Get(%q) succeeded", name)
		}
		if rc, err := s.GetRange(ctx, name, 0, 1); err == nil {
			rc.Close()
			t.Errorf("GetRange(%q) succeeded", name)
		}
		if _, err := s.Stat(ctx, name); err == nil {
			t.Errorf("Stat(%q) succeeded", name)
		}
		if err := s.Delete(ctx, name); err == nil {
			t.Errorf("Delete(%q) succeeded", name)
		}
	}
	sameListing(t, "", list(t, s, ""), map[string]int64{})
}

func testLocation(t *testing.T, s storage.Storage) {
	if s.Location() == "" {
		t.Error("Location() is empty")
	}
}
