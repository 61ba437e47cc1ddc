package repo

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/faulty"
)

const copyPass = "another passphrase for the copy"

func copyOptions() Options {
	o := testOptions()
	o.Passphrase = copyPass
	return o
}

// copyItems are a few files, one of several chunks.
func copyItems(seed uint64) []item {
	rng := newRng(seed)
	return []item{
		{e: Entry{Path: "d", Kind: "dir", Mode: 0o755 | 1<<31, ModTime: benchTime}},
		fileItem("d/big", randBytes(rng, 900<<10), benchTime),
		fileItem("d/text", textBytes(rng, 40<<10), benchTime),
		fileItem("small", []byte("hello"), benchTime),
	}
}

// newCopyTarget makes an empty repository that shares src's chunking.
func newCopyTarget(t *testing.T, src *Repository) (*Repository, *repotest.Mem) {
	t.Helper()
	mem := repotest.NewMem()
	dst, err := InitCopyTarget(context.Background(), mem, copyOptions(), src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dst.Close() })
	return dst, mem
}

func sameContent(t *testing.T, a *Repository, am *Manifest, b *Repository, bm *Manifest) {
	t.Helper()
	ea, da := readAll(t, a, am, "files.x")
	eb, db := readAll(t, b, bm, "files.x")
	if !reflect.DeepEqual(ea, eb) || !reflect.DeepEqual(da, db) {
		t.Fatalf("copy differs:\n%v\n%v", ea, eb)
	}
}

func TestCopySendsOnlyWhatTheTargetLacks(t *testing.T) {
	ctx := context.Background()
	src, _ := newTestRepo(t)
	items := copyItems(1)
	m1 := backup(t, src, nil, "files", "x", items)
	dst, mem := newCopyTarget(t, src)

	st, err := Copy(ctx, src, dst, m1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Present || st.Rechunked || st.Blobs < 5 || st.Reused != 0 {
		t.Fatalf("first copy: %+v", st)
	}
	// The copy opens with its own passphrase only, and keeps id, host and time.
	if _, err := Open(ctx, mem, testOptions()); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("open copy with the source's passphrase: %v", err)
	}
	re, err := Open(ctx, mem, copyOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	got, err := re.Snapshot(ctx, m1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != m1.ID || got.Host != m1.Host || !got.Time.Equal(m1.Time) || got.Sources[0].Root != m1.Sources[0].Root {
		t.Fatalf("copied manifest %+v, want %+v", got, m1)
	}
	sameContent(t, src, m1, re, got)

	// Copying again sends nothing and writes nothing.
	before := len(mem.Names(""))
	if st, err = Copy(ctx, src, re, m1.ID); err != nil || !st.Present || st.Blobs != 0 {
		t.Fatalf("second copy: %+v, %v", st, err)
	}
	if n := len(mem.Names("")); n != before {
		t.Fatalf("second copy wrote %d objects", n-before)
	}

	// A new snapshot with one file changed sends that file's chunks and trees.
	items[3] = fileItem("small", []byte("changed"), benchTime)
	m2 := backup(t, src, m1, "files", "x", items)
	if st, err = Copy(ctx, src, re, m2.ID); err != nil {
		t.Fatal(err)
	}
	if st.Blobs == 0 || st.Blobs > 3 || st.Reused < 5 {
		t.Fatalf("incremental copy sent %d blobs, reused %d: want the new file and its trees only", st.Blobs, st.Reused)
	}
	if err := checkCopy(ctx, re); err != nil {
		t.Fatal(err)
	}
}

func checkCopy(ctx context.Context, r *Repository) error {
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		return err
	}
	rep, err := r.Check(ctx, snaps, nil)
	if err != nil {
		return err
	}
	if !rep.OK() {
		return errors.New("check found damage")
	}
	return nil
}

// TestCopyIsAtomic: a copy whose nth write fails (the writes after it
// succeed) leaves no snapshot in the target, and the next copy completes it.
func TestCopyIsAtomic(t *testing.T) {
	ctx := context.Background()
	src, _ := newTestRepo(t)
	src.packSize = 64 << 10
	m := backup(t, src, nil, "files", "x", copyItems(2))
	for n := 1; ; n++ {
		_, mem := newCopyTarget(t, src)
		f := faulty.New(mem)
		f.FailPut(n)
		dst := openWithStorage(t, f)
		if _, err := Copy(ctx, src, dst, m.ID); err == nil {
			if f.Counts().Puts >= int64(n) {
				t.Fatalf("copy whose write %d failed succeeded", n)
			}
			break // the copy took fewer writes: every one was tried
		}
		if names := mem.Names("snapshots/"); len(names) != 0 {
			t.Fatalf("failed write %d left %v", n, names)
		}
		if _, err := Copy(ctx, src, dst, m.ID); err != nil {
			t.Fatalf("copy after failed write %d: %v", n, err)
		}
		got, err := dst.Snapshot(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameContent(t, src, m, dst, got)
	}
}

func openWithStorage(t *testing.T, st storage.Storage) *Repository {
	t.Helper()
	r, err := Open(context.Background(), st, copyOptions())
	if err != nil {
		t.Fatal(err)
	}
	r.packSize = 64 << 10
	t.Cleanup(func() { r.Close() })
	return r
}

// TestCopyRechunks: into a repository with its own chunker keys the files
// are re-chunked; their content and metadata survive, the roots differ.
func TestCopyRechunks(t *testing.T) {
	ctx := context.Background()
	src, _ := newTestRepo(t)
	m := backup(t, src, nil, "files", "x", copyItems(3))
	dst, _ := newTestRepoWith(t, copyOptions())
	st, err := Copy(ctx, src, dst, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Rechunked || st.Bytes == 0 {
		t.Fatalf("copy: %+v", st)
	}
	got, err := dst.Snapshot(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sources[0].Root == m.Sources[0].Root || got.Sources[0].Identity != m.Sources[0].Identity {
		t.Fatalf("rechunked source %+v, from %+v", got.Sources[0], m.Sources[0])
	}
	sameContent(t, src, m, dst, got)
	if st, err = Copy(ctx, src, dst, m.ID); err != nil || !st.Present {
		t.Fatalf("second copy: %+v, %v", st, err)
	}
	if err := checkCopy(ctx, dst); err != nil {
		t.Fatal(err)
	}
}

// TestCopyRefusesAnotherSnapshotUnderTheID: the target's own snapshot with
// the same id is never replaced.
func TestCopyRefusesAnotherSnapshotUnderTheID(t *testing.T) {
	ctx := context.Background()
	src, _ := newTestRepo(t)
	m := backup(t, src, nil, "files", "x", copyItems(4))
	dst, _ := newCopyTarget(t, src)
	backup(t, dst, nil, "files", "x", copyItems(5)) // same clock: same id
	if _, err := Copy(ctx, src, dst, m.ID); !errors.Is(err, ErrCopyConflict) {
		t.Fatalf("copy over another snapshot: %v", err)
	}
}

// TestCopyReadsPacksNotBlobs: blobs that lie together in a pack come with
// one range read (on S3, one request), not one read each.
func TestCopyReadsPacksNotBlobs(t *testing.T) {
	ctx := context.Background()
	mem := repotest.NewMem()
	f := faulty.New(mem)
	src, err := Init(ctx, f, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rng := newRng(6)
	var items []item
	for i := range 300 {
		items = append(items, fileItem(fmt.Sprintf("f%03d", i), randBytes(rng, 2000+i), benchTime))
	}
	m := backup(t, src, nil, "files", "x", items)
	dst, _ := newCopyTarget(t, src)
	before := f.Counts().Gets
	st, err := Copy(ctx, src, dst, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	gets := f.Counts().Gets - before
	t.Logf("copied %d blobs with %d reads", st.Blobs, gets)
	if st.Blobs < 300 || gets > st.Blobs/20 {
		t.Fatalf("copied %d blobs with %d reads", st.Blobs, gets)
	}
	got, err := dst.Snapshot(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameContent(t, src, m, dst, got)
}

// TestCopyInSmallBatches: a copy that sends what it collected every 3
// blob references (many batches) through a long stream's content lists,
// a directory split into parts and a subtree named twice sends each blob
// the snapshot references exactly once, counts none as present in an
// empty target, and the copy reads back the same.
func TestCopyInSmallBatches(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.limits = smallLimits()
	src, _ := newTestRepoWith(t, o)
	rng := newRng(8)
	items := []item{fileItem("dump.sql", randBytes(rng, 3<<20), benchTime)}
	for _, d := range []string{"a", "b"} { // identical directories: one subtree, named twice
		items = append(items, item{e: Entry{Path: d, Kind: "dir", Mode: 0o755 | 1<<31, ModTime: benchTime}})
		for i := range 40 {
			items = append(items, fileItem(fmt.Sprintf("%s/f%02d", d, i), []byte(fmt.Sprint(i)), benchTime))
		}
	}
	m := backup(t, src, nil, "files", "x", items)
	dst, err := InitCopyTarget(ctx, repotest.NewMem(), func() Options { c := copyOptions(); c.limits = o.limits; return c }(), src)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	st, err := copySnapshot(ctx, src, dst, m.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	_, stored := dst.idx.Counts()
	if st.Blobs != int64(stored) || st.Reused != 0 || st.Blobs < 60 {
		t.Fatalf("sent %d blobs (%d reused) for %d blobs now in the target", st.Blobs, st.Reused, stored)
	}
	got, err := dst.Snapshot(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameContent(t, src, m, dst, got)
	if err := checkCopy(ctx, dst); err != nil {
		t.Fatal(err)
	}
}
