package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

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

// testCancelDuringPut cancels a Put while it reads. A call canceled while
// it runs may or may not take effect (as on S3), but never halfway: either
// the Put fails and the object is absent or whole, or it succeeds.
func testCancelDuringPut(t *testing.T, s storage.Storage) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	data := Content(30, 8<<20)
	r := &cancelingReader{r: bytes.NewReader(data), cancel: cancel}
	err := s.Put(ctx, "ctx/mid", r, int64(len(data)), storage.PutOptions{})
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Put canceled while reading: got %v, want context.Canceled or success", err)
	}
	_, serr := s.Stat(context.Background(), "ctx/mid")
	switch {
	case errors.Is(serr, storage.ErrNotFound) && err == nil:
		t.Error("Put canceled while reading succeeded but stored nothing")
	case errors.Is(serr, storage.ErrNotFound):
	case serr != nil:
		t.Fatalf("Stat: %v", serr)
	default:
		sameBytes(t, "object of a canceled Put", get(t, s, "ctx/mid"), data)
	}
}

// testModTime checks that Stat and List give the time of the last write,
// by a clock within a few minutes of the test's.
func testModTime(t *testing.T, s storage.Storage) {
	const skew = 5 * time.Minute
	before := time.Now()
	put(t, s, "mtime/a", []byte("a"))
	oi, err := s.Stat(context.Background(), "mtime/a")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if oi.ModTime.IsZero() || oi.ModTime.Before(before.Add(-skew)) || oi.ModTime.After(time.Now().Add(skew)) {
		t.Errorf("Stat ModTime = %v, want about %v", oi.ModTime, before)
	}
	n := 0
	err = s.List(context.Background(), "mtime/", func(li storage.ObjectInfo) error {
		n++
		if !li.ModTime.Equal(oi.ModTime) || li.ETag != oi.ETag {
			t.Errorf("List gives ModTime %v ETag %q, Stat %v %q", li.ModTime, li.ETag, oi.ModTime, oi.ETag)
		}
		return nil
	})
	if err != nil || n != 1 {
		t.Fatalf("List: %d objects, %v", n, err)
	}
	time.Sleep(20 * time.Millisecond)
	put(t, s, "mtime/a", []byte("bb"))
	again, err := s.Stat(context.Background(), "mtime/a")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if again.ModTime.Before(oi.ModTime) {
		t.Errorf("ModTime went back after a rewrite: %v, then %v", oi.ModTime, again.ModTime)
	}
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
