package repo

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/faulty"
	"github.com/velinhq/velin/providers/provider"
)

// memOut is a file of a test batch, written in memory.
type memOut struct {
	mu    sync.Mutex
	data  []byte
	dones int
	err   error
}

func (m *memOut) WriteAt(p []byte, off int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if end := int(off) + len(p); end > len(m.data) {
		m.data = append(m.data, make([]byte, end-len(m.data))...)
	}
	copy(m.data[off:], p)
	return len(p), nil
}

func (m *memOut) done(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dones++
	m.err = err
}

// batchItems are files that share blobs: two identical files, one that
// starts with their content, one of zeros (one blob at eight offsets),
// and small files between them.
func batchItems() []item {
	rng := newRng(31)
	mtime := time.Unix(1, 0)
	shared := randBytes(rng, 1<<20)
	items := []item{
		fileItem("a.bin", shared, mtime),
		fileItem("b.bin", shared, mtime),
		fileItem("c.bin", append(append([]byte{}, shared...), textBytes(rng, 700<<10)...), mtime),
		fileItem("zeros", make([]byte, 8*chunkMax), mtime),
	}
	for i := range 30 {
		items = append(items, fileItem("small/"+string(rune('a'+i)), randBytes(rng, 100+i*3000), mtime))
	}
	return items
}

// batchRepo backs items up and reopens the repository over a fault
// wrapper.
func batchRepo(t *testing.T, items []item) (*Repository, *Manifest, *faulty.Storage, *repotest.Mem) {
	t.Helper()
	w, st := newTestRepoWith(t, testOptions())
	m := backup(t, w, nil, "files", "s", items)
	fs := faulty.New(st)
	r, err := Open(context.Background(), fs, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, m, fs, st
}

// readBatch reads every file of m with one ReadBatch, calling between
// after the walk (if not nil); gets is the reads of fs ReadBatch made.
func readBatch(t *testing.T, r *Repository, m *Manifest, fs *faulty.Storage, between func()) (outs map[string]*memOut, gets int64, err error) {
	t.Helper()
	ctx := context.Background()
	tr, err := r.Tree(ctx, m, "files.s")
	if err != nil {
		t.Fatal(err)
	}
	outs = map[string]*memOut{}
	var files []provider.BatchFile
	err = tr.Walk(ctx, func(e provider.Entry) error {
		if e.Kind == provider.KindFile && e.Size > 0 {
			o := &memOut{}
			outs[e.Path] = o
			files = append(files, provider.BatchFile{Entry: e, Out: o, Done: o.done})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if between != nil {
		between()
	}
	before := fs.Counts().Gets
	err = tr.(provider.Batcher).ReadBatch(ctx, files)
	return outs, fs.Counts().Gets - before, err
}

func dataPacks(t *testing.T, st storage.Storage) int {
	t.Helper()
	n := 0
	err := st.List(context.Background(), "data/", func(storage.ObjectInfo) error { n++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReadBatch: every file of a batch comes back byte for byte, each
// Done called once without error, however the files share blobs; each
// pack is read at most once.
func TestReadBatch(t *testing.T) {
	items := batchItems()
	r, m, fs, st := batchRepo(t, items)
	outs, gets, err := readBatch(t, r, m, fs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		o := outs[it.e.Path]
		if o.dones != 1 || o.err != nil || !bytes.Equal(o.data, it.data) {
			t.Errorf("%s: %d bytes (want %d), equal %v, Done %d times, %v", it.e.Path, len(o.data), len(it.data), bytes.Equal(o.data, it.data), o.dones, o.err)
		}
	}
	if packs := dataPacks(t, st); gets > int64(packs) {
		t.Errorf("%d reads for %d packs, want at most one a pack", gets, packs)
	}
}

// TestReadBatchDamagedBlob: a blob that does not authenticate fails the
// files that need it (Done with the damage), and only those.
func TestReadBatchDamagedBlob(t *testing.T) {
	items := batchItems()
	r, m, fs, _ := batchRepo(t, items)
	ctx := context.Background()
	tr, err := r.Tree(ctx, m, "files.s")
	if err != nil {
		t.Fatal(err)
	}
	var small provider.Entry
	if err := tr.Walk(ctx, func(e provider.Entry) error {
		if e.Path == "small/c" {
			small = e
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	loc, err := r.lookup(ctx, small.Handle.(*handle).content[0])
	if err != nil {
		t.Fatal(err)
	}
	fs.FlipBit(packName(loc.Pack), int64(loc.Offset)+10)
	outs, _, err := readBatch(t, r, m, fs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		o := outs[it.e.Path]
		bad := it.e.Path == "small/c"
		if o.dones != 1 || (o.err != nil) != bad || (!bad && !bytes.Equal(o.data, it.data)) {
			t.Errorf("%s: Done %d times, %v; damaged: %v", it.e.Path, o.dones, o.err, bad)
		}
	}
	if o := outs["small/c"]; o.err == nil || !errors.Is(o.err, errDamaged) || !strings.Contains(o.err.Error(), "small/c") {
		t.Errorf("damaged file: %v, want the damage naming it", o.err)
	}
}

// TestReadBatchFailedRead: a pack read cut off mid-way, and a pack cut
// short, fail the batch.
func TestReadBatchFailedRead(t *testing.T) {
	items := batchItems()
	r, m, fs, _ := batchRepo(t, items)
	fs.CutGets("data/", 100<<10)
	if _, _, err := readBatch(t, r, m, fs, nil); !errors.Is(err, faulty.ErrInjected) {
		t.Errorf("read cut mid-way: %v, want the injected error", err)
	}

	r2, m2, fs2, st := batchRepo(t, items)
	if _, _, err := readBatch(t, r2, m2, fs2, func() { halvePacks(t, st) }); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated pack: %v, want io.ErrUnexpectedEOF", err)
	}
}

// halvePacks cuts every pack of st to its first half.
func halvePacks(t *testing.T, st storage.Storage) {
	t.Helper()
	ctx := context.Background()
	var names []string
	if err := st.List(ctx, "data/", func(oi storage.ObjectInfo) error { names = append(names, oi.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		rc, err := st.Get(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Delete(ctx, name); err != nil {
			t.Fatal(err)
		}
		if err := st.Put(ctx, name, bytes.NewReader(data[:len(data)/2]), int64(len(data)/2), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}
