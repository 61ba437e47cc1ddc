package repo

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/providers/files"
	"github.com/velinhq/velin/providers/provider"
)

// shuffler is a storage whose pack range reads answer after a random
// delay of up to 3 ms, so that reads in flight together complete in any
// order; the failAt-th pack read (1-based, 0: none) fails. It counts the
// pack reads still open and the most that were open at once.
type shuffler struct {
	storage.Storage
	failAt int

	mu          sync.Mutex
	rng         *rand.Rand
	n, open, hi int
}

var errInjected = errors.New("injected read failure")

func (s *shuffler) GetRange(ctx context.Context, name string, off, n int64) (io.ReadCloser, error) {
	if !strings.HasPrefix(name, "data/") {
		return s.Storage.GetRange(ctx, name, off, n)
	}
	s.mu.Lock()
	s.n++
	fail := s.n == s.failAt
	s.open++
	s.hi = max(s.hi, s.open)
	delay := time.Duration(s.rng.Int64N(int64(3 * time.Millisecond)))
	s.mu.Unlock()
	select {
	case <-time.After(delay):
	case <-ctx.Done():
		s.closed()
		return nil, ctx.Err()
	}
	if fail {
		s.closed()
		return nil, errInjected
	}
	rc, err := s.Storage.GetRange(ctx, name, off, n)
	if err != nil {
		s.closed()
		return nil, err
	}
	return &closeHook{ReadCloser: rc, hook: s.closed}, nil
}

// failAfter makes the k-th pack read from now on fail.
func (s *shuffler) failAfter(k int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAt = s.n + k
}

func (s *shuffler) closed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open--
}

// counts returns the pack reads made, still open, and most open at once.
func (s *shuffler) counts() (n, open, hi int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n, s.open, s.hi
}

type closeHook struct {
	io.ReadCloser
	hook func()
	once sync.Once
}

func (c *closeHook) Close() error {
	err := c.ReadCloser.Close()
	c.once.Do(c.hook)
	return err
}

// shuffledRepo backs up items into a repository with small limits (so
// long files have content lists) and reopens it over a shuffler.
func shuffledRepo(t *testing.T, items []item) (*Repository, *Manifest, *shuffler) {
	t.Helper()
	o := testOptions()
	o.limits = smallLimits()
	return shuffledRepoWith(t, items, o)
}

func shuffledRepoWith(t *testing.T, items []item, o Options) (*Repository, *Manifest, *shuffler) {
	t.Helper()
	w, st := newTestRepoWith(t, o)
	m := backup(t, w, nil, "files", "s", items)
	sh := &shuffler{Storage: st, rng: rand.New(rand.NewPCG(5, 5))}
	r, err := Open(context.Background(), sh, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, m, sh
}

func spanItems() []item {
	rng := newRng(21)
	mtime := time.Unix(1, 0)
	items := []item{fileItem("big.bin", randBytes(rng, 7<<20), mtime), fileItem("text.log", textBytes(rng, 3<<20), mtime)}
	for i := range 20 {
		items = append(items, fileItem("small/"+string(rune('a'+i)), randBytes(rng, 1000+i*5000), mtime))
	}
	return items
}

// TestReadAheadKeepsOrder: files read with several span reads in flight,
// answered in random order, come back byte for byte; the reads did run
// together; none is left open and the read-ahead budget is all given back.
func TestReadAheadKeepsOrder(t *testing.T) {
	items := spanItems()
	r, m, sh := shuffledRepo(t, items)
	_, got := readAll(t, r, m, "files.s")
	for _, it := range items {
		if !bytes.Equal(got[it.e.Path], it.data) {
			t.Errorf("%s: read %d bytes, want %d, equal %v", it.e.Path, len(got[it.e.Path]), len(it.data), bytes.Equal(got[it.e.Path], it.data))
		}
	}
	n, open, hi := sh.counts()
	if hi < 2 || open != 0 || r.spans.used != 0 {
		t.Errorf("%d pack reads, at most %d at once (want several), %d left open, %d budget bytes not given back", n, hi, open, r.spans.used)
	}
}

// TestReadAheadFailure: a pack read that fails while others are in flight
// fails the file's read after exactly the bytes before it; the reads still
// in flight are cancelled and waited for by Close.
func TestReadAheadFailure(t *testing.T) {
	items := spanItems()[:1] // big.bin: several spans
	r, m, sh := shuffledRepo(t, items)
	for _, failAt := range []int{1, 2, 4} {
		rc := openFile(t, r, m, "big.bin", func() { sh.failAfter(failAt) })
		got, err := io.ReadAll(rc)
		if !errors.Is(err, errInjected) || !strings.Contains(err.Error(), "read big.bin") {
			t.Errorf("fail at read %d: error %v, want the injected one naming the file", failAt, err)
		}
		if len(got) >= len(items[0].data) || !bytes.Equal(got, items[0].data[:len(got)]) {
			t.Errorf("fail at read %d: got %d bytes, not a strict prefix of the file", failAt, len(got))
		}
		rc.Close()
		if _, open, _ := sh.counts(); open != 0 || r.spans.used != 0 {
			t.Errorf("fail at read %d: after Close %d pack reads open, %d budget bytes held", failAt, open, r.spans.used)
		}
	}
}

// TestReadAheadEarlyClose: closing a reader with reads in flight waits for
// them and gives their buffers and budget back.
func TestReadAheadEarlyClose(t *testing.T) {
	items := spanItems()[:1]
	r, m, sh := shuffledRepo(t, items)
	rc := openFile(t, r, m, "big.bin", func() {})
	buf := make([]byte, 300_000)
	if _, err := io.ReadFull(rc, buf); err != nil || !bytes.Equal(buf, items[0].data[:len(buf)]) {
		t.Fatalf("first bytes: %v", err)
	}
	rc.Close()
	if _, open, _ := sh.counts(); open != 0 || r.spans.used != 0 {
		t.Errorf("after Close %d pack reads open, %d budget bytes held", open, r.spans.used)
	}
}

// openFile opens the file at path of source files.s of m, calling before
// first (once the tree is read).
func openFile(t *testing.T, r *Repository, m *Manifest, path string, before func()) io.ReadCloser {
	t.Helper()
	ctx := context.Background()
	tr, err := r.Tree(ctx, m, "files.s")
	if err != nil {
		t.Fatal(err)
	}
	var rc io.ReadCloser
	err = tr.Walk(ctx, func(e provider.Entry) error {
		if e.Path == path {
			before()
			rc, err = tr.Open(ctx, e)
		}
		return err
	})
	if err != nil || rc == nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return rc
}

// TestFilesRestoreShuffled: a files restore (its files read in batches,
// see batchread.go) from a storage that answers out of order writes every
// file byte for byte.
func TestFilesRestoreShuffled(t *testing.T) {
	items := spanItems()
	r, m, sh := shuffledRepo(t, items)
	src, err := files.New([]string{"/src/s"}, nil, false, false)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := r.Tree(context.Background(), m, "files.s")
	if err != nil {
		t.Fatal(err)
	}
	to := t.TempDir()
	if err := src.Restore(context.Background(), tr, provider.RestoreOptions{To: to}); err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		got, err := os.ReadFile(filepath.Join(to, it.e.Path))
		if err != nil || !bytes.Equal(got, it.data) {
			t.Errorf("%s: restored %d bytes, want %d, equal %v: %v", it.e.Path, len(got), len(it.data), bytes.Equal(got, it.data), err)
		}
	}
	if _, open, _ := sh.counts(); open != 0 || r.spans.used != 0 {
		t.Errorf("%d pack reads left open, %d budget bytes held", open, r.spans.used)
	}
}

// TestWindowsShareReads: small files next to each other in a pack are
// read through shared windows: far fewer pack reads than files, even
// with several files read at once and answers out of order; a window
// that fails fails the files waiting for it and is not kept, so that the
// next read of the same bytes asks again.
func TestWindowsShareReads(t *testing.T) {
	items := spanItems()[2:]                              // the 20 small files, ~1 MB
	r, m, sh := shuffledRepoWith(t, items, testOptions()) // one tree blob, no content lists
	_, got := readAll(t, r, m, "files.s")
	for _, it := range items {
		if !bytes.Equal(got[it.e.Path], it.data) {
			t.Errorf("%s: read back wrong", it.e.Path)
		}
	}
	n, open, _ := sh.counts()
	if n > len(items)/4 || open != 0 {
		t.Errorf("%d pack reads for %d small files (want a few shared windows), %d left open", n, len(items), open)
	}

	r2, m2, sh2 := shuffledRepoWith(t, items, testOptions())
	last := items[len(items)-1]
	rc := openFile(t, r2, m2, last.e.Path, func() { sh2.failAfter(1) })
	if _, err := io.ReadAll(rc); !errors.Is(err, errInjected) {
		t.Errorf("read through a failed window: %v, want the injected error", err)
	}
	rc.Close()
	r2.windows.mu.Lock()
	for _, w := range r2.windows.kept {
		if w.err != nil {
			t.Errorf("a failed window is kept: %v", w.err)
		}
	}
	r2.windows.mu.Unlock()
	rc = openFile(t, r2, m2, last.e.Path, func() {})
	if b, err := io.ReadAll(rc); err != nil || !bytes.Equal(b, last.data) {
		t.Errorf("read again after a failed window: %d bytes, %v", len(b), err)
	}
	rc.Close()
	if _, open, _ := sh2.counts(); open != 0 || len(r2.windows.kept) > windowsKept {
		t.Errorf("%d pack reads left open, %d windows kept", open, len(r2.windows.kept))
	}

	// Closed at once, before its window arrives: the window is cancelled
	// and dropped, no read left open.
	r3, m3, sh3 := shuffledRepoWith(t, items, testOptions())
	openFile(t, r3, m3, last.e.Path, func() {}).Close()
	r3.windows.mu.Lock()
	for _, w := range r3.windows.kept {
		if !w.finished {
			t.Errorf("a window nobody waits for is still in flight")
		}
	}
	r3.windows.mu.Unlock()
	if _, open, _ := sh3.counts(); open != 0 {
		t.Errorf("after an early Close %d pack reads are open", open)
	}
}
