package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/velinhq/velin/engine/storage"
)

func testNotFound(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	put(t, s, "present/obj", []byte("x"))
	for _, name := range []string{"missing", "present/missing", "no/such/dir/obj", "present/obj/child"} {
		_, err := s.Get(ctx, name)
		wantNotFound(t, "Get("+name+")", err)
		_, err = s.GetRange(ctx, name, 0, 1)
		wantNotFound(t, "GetRange("+name+")", err)
		_, err = s.Stat(ctx, name)
		wantNotFound(t, "Stat("+name+")", err)
		if err := s.Delete(ctx, name); err != nil {
			t.Errorf("Delete(%s) of a missing object: %v, want success (S3 does not tell)", name, err)
		}
	}
	sameBytes(t, "Get(present/obj)", get(t, s, "present/obj"), []byte("x"))
}

func testPrefixIsNotAnObject(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	put(t, s, "dir/sub/obj", []byte("content"))
	for _, name := range []string{"dir", "dir/sub"} {
		_, err := s.Get(ctx, name)
		wantNotFound(t, "Get("+name+")", err)
		_, err = s.GetRange(ctx, name, 0, -1)
		wantNotFound(t, "GetRange("+name+")", err)
		_, err = s.Stat(ctx, name)
		wantNotFound(t, "Stat("+name+")", err)
		if err := s.Delete(ctx, name); err != nil {
			t.Errorf("Delete(%s) of a prefix: %v, want success with no effect", name, err)
		}
	}
	sameListing(t, "", list(t, s, ""), map[string]int64{"dir/sub/obj": 7})
}

func testOverwrite(t *testing.T, s storage.Storage) {
	a := Content(20, 5000)
	put(t, s, "over/obj", a)
	put(t, s, "over/obj", a)
	sameBytes(t, "Get after writing the same content twice", get(t, s, "over/obj"), a)
	b := Content(21, 3000)
	put(t, s, "over/obj", b)
	sameBytes(t, "Get after replacing with other content", get(t, s, "over/obj"), b)
	sameListing(t, "over/", list(t, s, "over/"), map[string]int64{"over/obj": 3000})
}

func testIfAbsent(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	first, second := []byte("first"), []byte("second, longer")
	ifAbsent := storage.PutOptions{IfAbsent: true}
	if err := s.Put(ctx, "locks/a", bytes.NewReader(first), int64(len(first)), ifAbsent); err != nil {
		t.Fatalf("Put IfAbsent of a new name: %v", err)
	}
	err := s.Put(ctx, "locks/a", bytes.NewReader(second), int64(len(second)), ifAbsent)
	if !errors.Is(err, storage.ErrExists) {
		t.Errorf("Put IfAbsent of an existing name: got %v, want ErrExists", err)
	}
	sameBytes(t, "Get after a refused IfAbsent Put", get(t, s, "locks/a"), first)
	if err := s.Delete(ctx, "locks/a"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := s.Put(ctx, "locks/a", bytes.NewReader(second), int64(len(second)), ifAbsent); err != nil {
		t.Fatalf("Put IfAbsent after Delete: %v", err)
	}
	sameBytes(t, "Get", get(t, s, "locks/a"), second)
	sameListing(t, "locks/", list(t, s, "locks/"), map[string]int64{"locks/a": int64(len(second))})
}

// testIfAbsentRace has 8 writers race for one name: exactly one wins.
func testIfAbsentRace(t *testing.T, s storage.Storage) {
	const writers = 8
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := Content(uint64(100+i), 10_000+i)
			errs[i] = s.Put(context.Background(), "race/lock", bytes.NewReader(data), int64(len(data)), storage.PutOptions{IfAbsent: true})
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both won an IfAbsent race", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, storage.ErrExists):
			t.Errorf("writer %d: got %v, want ErrExists", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer won the IfAbsent race")
	}
	sameBytes(t, "Get after the race", get(t, s, "race/lock"), Content(uint64(100+winner), 10_000+winner))
}

func testDelete(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	put(t, s, "del/a", []byte("aaa"))
	put(t, s, "del/b", []byte("bb"))
	if err := s.Delete(ctx, "del/a"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantAbsent(t, s, "del/a")
	_, err := s.Get(ctx, "del/a")
	wantNotFound(t, "Get after Delete", err)
	if err := s.Delete(ctx, "del/a"); err != nil {
		t.Errorf("second Delete: %v, want success (deleting a missing object is no error)", err)
	}
	sameListing(t, "del/", list(t, s, "del/"), map[string]int64{"del/b": 2})
	put(t, s, "del/a", []byte("again"))
	sameBytes(t, "Get after re-Put", get(t, s, "del/a"), []byte("again"))
}

// listNames are objects for testList; no name is a prefix directory of
// another, which a file system could not store.
var listNames = []string{
	"ab", "a/b1", "a/b/c", "a/bc/d", "a/c", "b/x", "bx",
	"data/00/0011", "data/01/0122", "data/1/x", "keys/k1", "snapshots/s1",
}

func testList(t *testing.T, s storage.Storage) {
	all := map[string]int64{}
	for i, n := range listNames {
		put(t, s, n, Content(uint64(200+i), 10*i))
		all[n] = int64(10 * i)
	}
	prefixes := []string{"", "a", "a/", "a/b", "a/b/", "a/bc", "b", "b/", "data/0", "data/", "keys/k1",
		"zzz", "nope/deeper/", "data/00/0011x"}
	for _, p := range prefixes {
		want := map[string]int64{}
		for n, sz := range all {
			if strings.HasPrefix(n, p) {
				want[n] = sz
			}
		}
		sameListing(t, p, list(t, s, p), want)
	}
	// A spot check that does not rely on the filter above.
	if got := list(t, s, "a/b"); len(got) != 3 {
		t.Errorf(`List("a/b") returned %d objects, want 3 (a/b1, a/b/c, a/bc/d): %v`, len(got), got)
	}
}

func testListStops(t *testing.T, s storage.Storage) {
	for i := range 5 {
		put(t, s, fmt.Sprintf("stop/%d", i), []byte("x"))
	}
	errStop := errors.New("stop here")
	calls := 0
	err := s.List(context.Background(), "stop/", func(storage.ObjectInfo) error {
		calls++
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Errorf("List: got %v, want the callback's error", err)
	}
	if calls != 1 {
		t.Errorf("List called fn %d times after it returned an error, want 1", calls)
	}
}
