package faulty

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/local"
	"github.com/velinhq/velin/engine/storage/storagetest"
)

func newFaulty(t *testing.T) *Storage {
	t.Helper()
	inner, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return New(inner)
}

func TestSuite(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Storage { return newFaulty(t) })
}

func put(s storage.Storage, name string, data []byte) error {
	return s.Put(context.Background(), name, bytes.NewReader(data), int64(len(data)), storage.PutOptions{})
}

func mustAbsent(t *testing.T, s storage.Storage, name string) {
	t.Helper()
	if _, err := s.Stat(context.Background(), name); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat(%s) = %v, want ErrNotFound", name, err)
	}
}

func listNames(t *testing.T, s storage.Storage, prefix string) []string {
	t.Helper()
	var names []string
	if err := s.List(context.Background(), prefix, func(oi storage.ObjectInfo) error {
		names = append(names, oi.Name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	return names
}

func TestFailPut(t *testing.T) {
	s := newFaulty(t)
	if err := put(s, "a", []byte("a")); err != nil {
		t.Fatal(err)
	}
	s.FailPut(2)
	for i, name := range []string{"b", "c", "d"} {
		err := put(s, name, []byte(name))
		if wantFail := i == 1; wantFail != errors.Is(err, ErrInjected) {
			t.Errorf("Put %s: %v (should fail: %v)", name, err, wantFail)
		}
	}
	mustAbsent(t, s.Inner(), "c")
	if got := fmt.Sprint(listNames(t, s, "")); got != "[a b d]" {
		t.Errorf("objects %s, want [a b d]", got)
	}
	if c := s.Counts(); c.Puts != 4 || c.Injected != 1 {
		t.Errorf("counts %+v, want 4 Puts, 1 injected", c)
	}
}

func TestFailWithPrefix(t *testing.T) {
	s := newFaulty(t)
	ctx := context.Background()
	if err := put(s, "data/x", []byte("x")); err != nil {
		t.Fatal(err)
	}
	s.FailWithPrefix(OpPut, "locks/")
	s.FailWithPrefix(OpGet|OpStat, "data/")
	if err := put(s, "locks/l", []byte("l")); !errors.Is(err, ErrInjected) {
		t.Errorf("Put locks/l: %v, want ErrInjected", err)
	}
	mustAbsent(t, s.Inner(), "locks/l")
	if err := put(s, "keys/k", []byte("k")); err != nil {
		t.Errorf("Put keys/k: %v", err)
	}
	if _, err := s.Get(ctx, "data/x"); !errors.Is(err, ErrInjected) {
		t.Errorf("Get data/x: %v, want ErrInjected", err)
	}
	if _, err := s.GetRange(ctx, "data/x", 0, 1); !errors.Is(err, ErrInjected) {
		t.Errorf("GetRange data/x: %v, want ErrInjected", err)
	}
	if _, err := s.Stat(ctx, "data/x"); !errors.Is(err, ErrInjected) {
		t.Errorf("Stat data/x: %v, want ErrInjected", err)
	}
	if err := s.Delete(ctx, "data/x"); err != nil {
		t.Errorf("Delete data/x (no rule): %v", err)
	}
	s.Reset()
	if err := put(s, "locks/l", []byte("l")); err != nil {
		t.Errorf("Put after Reset: %v", err)
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestCutPut(t *testing.T) {
	s := newFaulty(t)
	data := storagetest.Content(1, 1<<20)
	s.CutPut(1, 1000)
	src := &countingReader{r: bytes.NewReader(data)}
	err := s.Put(context.Background(), "data/cut", src, int64(len(data)), storage.PutOptions{})
	if !errors.Is(err, ErrInjected) {
		t.Errorf("cut Put: %v, want ErrInjected", err)
	}
	if src.n != 1000 {
		t.Errorf("cut Put read %d bytes of its source, want 1000", src.n)
	}
	mustAbsent(t, s, "data/cut")
	s.CutPut(1, 10<<20) // longer than the object: fails at its end
	if err := put(s, "data/short", data[:1024]); !errors.Is(err, ErrInjected) {
		t.Errorf("Put cut past its end: %v, want ErrInjected", err)
	}
	mustAbsent(t, s, "data/short")
	if err := put(s, "data/cut", data); err != nil {
		t.Fatalf("Put after the cut one: %v", err)
	}
	if names := listNames(t, s.Inner(), ""); len(names) != 1 {
		t.Errorf("inner objects %v, want only data/cut", names)
	}
}

// reader returns a function that reads a Get's result whole.
func reader(t *testing.T) func(io.ReadCloser, error) []byte {
	return func(rc io.ReadCloser, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// diffs returns the offsets where a and b differ.
func diffs(a, b []byte) []int {
	var d []int
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			d = append(d, i)
		}
	}
	return d
}

func TestFlipBit(t *testing.T) {
	s := newFaulty(t)
	ctx := context.Background()
	data := storagetest.Content(2, 10_000)
	for _, n := range []string{"obj", "other"} {
		if err := put(s, n, data); err != nil {
			t.Fatal(err)
		}
	}
	read := reader(t)
	s.FlipBit("obj", 5000)
	got := read(s.Get(ctx, "obj"))
	if d := diffs(got, data); len(got) != len(data) || fmt.Sprint(d) != "[5000]" || got[5000]^data[5000] != 1 {
		t.Errorf("Get: differences at %v, want one bit at 5000", d)
	}
	got = read(s.GetRange(ctx, "obj", 4000, 2000))
	if d := diffs(got, data[4000:6000]); fmt.Sprint(d) != "[1000]" {
		t.Errorf("GetRange(4000, 2000): differences at %v, want [1000]", d)
	}
	if d := diffs(read(s.GetRange(ctx, "obj", 6000, -1)), data[6000:]); len(d) != 0 {
		t.Errorf("GetRange after the flipped byte: differences at %v", d)
	}
	if d := diffs(read(s.Get(ctx, "other")), data); len(d) != 0 {
		t.Errorf("other object corrupted at %v", d)
	}
	if d := diffs(read(s.Inner().Get(ctx, "obj")), data); len(d) != 0 {
		t.Errorf("stored object changed at %v", d)
	}
}

func TestListLag(t *testing.T) {
	s := newFaulty(t)
	s.ListLag(2)
	for _, n := range []string{"a", "b", "c"} {
		if err := put(s, n, []byte(n)); err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprint(listNames(t, s, "")); got != "[a]" {
		t.Errorf("List with lag 2 after a, b, c = %s, want [a]", got)
	}
	if _, err := s.Stat(context.Background(), "c"); err != nil {
		t.Errorf("Stat of a lagging object: %v", err)
	}
	if err := put(s, "d", []byte("d")); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(listNames(t, s, "")); got != "[a b]" {
		t.Errorf("List with lag 2 after d = %s, want [a b]", got)
	}
}

// TestListLagKeepsDeleted: a lagging listing still shows what was deleted
// or replaced lately, as S3's may; Stat and Get see the truth.
func TestListLagKeepsDeleted(t *testing.T) {
	s := newFaulty(t)
	ctx := context.Background()
	for _, n := range []string{"a", "b", "c"} {
		if err := put(s, n, []byte(n)); err != nil {
			t.Fatal(err)
		}
	}
	s.ListLag(2)
	if err := s.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := put(s, "b", []byte("longer")); err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	if err := s.List(ctx, "", func(oi storage.ObjectInfo) error {
		sizes[oi.Name] = oi.Size
		if oi.ModTime.IsZero() {
			t.Errorf("%s listed without ModTime", oi.Name)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "map[a:1 b:1 c:1]" {
		t.Errorf("List with lag 2 after deleting a and replacing b = %v, want a, b (old size) and c", sizes)
	}
	mustAbsent(t, s, "a")
	if got := fmt.Sprint(listNames(t, s, "b")); got != "[b]" {
		t.Errorf("List(b) = %s", got)
	}
	for _, n := range []string{"x", "y"} {
		if err := put(s, n, []byte(n)); err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprint(listNames(t, s, "")); got != "[b c]" {
		t.Errorf("List after the lag passed = %s, want [b c]", got)
	}
	s.CatchUp()
	if got := fmt.Sprint(listNames(t, s, "")); got != "[b c x y]" {
		t.Errorf("List after CatchUp = %s, want [b c x y]", got)
	}
}

func TestListLagFor(t *testing.T) {
	s := newFaulty(t)
	s.ListLag(5)
	// 2 s: the List right after the Put must come within it, even when a
	// loaded machine stalls the test between the two.
	s.ListLagFor(2 * time.Second)
	if err := put(s, "a", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(listNames(t, s, "")); got != "[]" {
		t.Errorf("List right after a Put = %s, want []", got)
	}
	time.Sleep(2100 * time.Millisecond)
	if got := fmt.Sprint(listNames(t, s, "")); got != "[a]" {
		t.Errorf("List after the time bound = %s, want [a]", got)
	}
}

func TestConcurrentCounts(t *testing.T) {
	s := newFaulty(t)
	s.FailPut(37)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := put(s, fmt.Sprintf("c/%d/%d", w, i), []byte("x"))
				if err != nil && !errors.Is(err, ErrInjected) {
					t.Error(err)
				}
				mu.Lock()
				failed += map[bool]int{true: 1}[err != nil]
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if c := s.Counts(); c.Puts != workers*each || c.Injected != 1 || failed != 1 {
		t.Errorf("counts %+v, %d failed; want %d Puts, 1 injected failure", c, failed, workers*each)
	}
	if n := len(listNames(t, s, "c/")); n != workers*each-1 {
		t.Errorf("%d objects stored, want %d", n, workers*each-1)
	}
}

func TestCrashAfter(t *testing.T) {
	ctx := context.Background()
	f := newFaulty(t)
	f.CrashAfter(2)
	put := func(name string) error {
		return f.Put(ctx, name, strings.NewReader("x"), 1, storage.PutOptions{})
	}
	if err := put("a"); err != nil {
		t.Fatal(err)
	}
	if err := f.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := put("b"); !errors.Is(err, ErrInjected) {
		t.Fatalf("third write: %v, want ErrInjected", err)
	}
	if err := f.Delete(ctx, "a"); !errors.Is(err, ErrInjected) {
		t.Fatalf("delete after the crash: %v, want ErrInjected", err)
	}
	if _, err := f.Stat(ctx, "b"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a write after the crash reached the storage: %v", err)
	}
	f.Reset()
	if err := put("c"); err != nil {
		t.Fatalf("after Reset: %v", err)
	}
}

// TestIgnoreIfAbsent: an IfAbsent Put replaces the object, as on a store
// without conditional writes, until Reset.
func TestIgnoreIfAbsent(t *testing.T) {
	s := newFaulty(t)
	ctx := context.Background()
	ifAbsent := func(data string) error {
		return s.Put(ctx, "snapshots/x", strings.NewReader(data), int64(len(data)), storage.PutOptions{IfAbsent: true})
	}
	if err := ifAbsent("one"); err != nil {
		t.Fatal(err)
	}
	s.IgnoreIfAbsent()
	if err := ifAbsent("two!"); err != nil {
		t.Fatalf("IfAbsent honoured: %v", err)
	}
	if oi, err := s.Stat(ctx, "snapshots/x"); err != nil || oi.Size != 4 {
		t.Fatalf("not replaced: %+v %v", oi, err)
	}
	s.Reset()
	if err := ifAbsent("three"); !errors.Is(err, storage.ErrExists) {
		t.Fatalf("after Reset: %v, want ErrExists", err)
	}
}

// TestCutGets: reads of the names with the prefix yield the bytes asked
// for, then fail; others read through; Reset ends the rule.
func TestCutGets(t *testing.T) {
	s := newFaulty(t)
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789"), 100)
	for _, name := range []string{"data/a", "keys/a"} {
		if err := put(s, name, data); err != nil {
			t.Fatal(err)
		}
	}
	s.CutGets("data/", 300)
	rc, err := s.GetRange(ctx, "data/a", 10, 500)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if !errors.Is(err, ErrInjected) || !bytes.Equal(got, data[10:310]) {
		t.Errorf("cut read: %d bytes, %v; want 300 bytes, then ErrInjected", len(got), err)
	}
	rc, err = s.Get(ctx, "keys/a")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, data) {
		t.Errorf("read of another prefix: %d bytes, %v", len(got), err)
	}
	rc.Close()
	s.Reset()
	rc, err = s.Get(ctx, "data/a")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, data) {
		t.Errorf("read after Reset: %d bytes, %v", len(got), err)
	}
	rc.Close()
}
