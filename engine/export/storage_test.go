package export

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/counting"
	"github.com/velinhq/velin/engine/storage/local"
)

func put(t *testing.T, st storage.Storage, name string, data []byte) {
	t.Helper()
	if err := st.Put(context.Background(), name, bytes.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
}

// unpack puts every entry of a plain ZIP under dir, as `unzip` and an
// upload would.
func unpack(t *testing.T, st storage.Storage, dir string, plain []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(plain), int64(len(plain)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		put(t, st, dir+"/"+f.Name, b)
	}
}

func noPass() (string, error) { return "", errors.New("no passphrase expected") }

// TestOpenStorage reads an export placed in a bucket's folder by hand, as
// one (encrypted) ZIP and unpacked, like the ZIP itself; streaming: a
// Verify of the ZIP takes a few ranged reads, not one per small read.
func TestOpenStorage(t *testing.T) {
	r := newRepo(t)
	m := snapshot(t, r)
	inner, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := counting.New(inner)
	put(t, st, m.ID+"/snap.zip", export(t, r, m, false))
	unpack(t, st, "unpacked-"+m.ID, export(t, r, m, true))
	ctx := context.Background()
	for _, c := range []struct {
		dir  string
		pass func() (string, error)
	}{
		{m.ID, func() (string, error) { return testPass, nil }},
		{"unpacked-" + m.ID, noPass},
	} {
		before := st.Counts()
		a, err := OpenStorage(ctx, st, c.dir, c.pass)
		if err != nil {
			t.Fatalf("%s: %v", c.dir, err)
		}
		if err := a.Verify(ctx); err != nil {
			t.Fatalf("%s: %v", c.dir, err)
		}
		if n := st.Counts().Sub(before); n.Get+n.GetRange > 12 {
			t.Errorf("%s: opening and verifying took %d reads, want a few", c.dir, n.Get+n.GetRange)
		}
		if a.Snapshot().ID != m.ID || !strings.Contains(a.Location(), c.dir) {
			t.Errorf("%s: snapshot %s at %s", c.dir, a.Snapshot().ID, a.Location())
		}
		sameTrees(t, r, a, m, a.Snapshot())
	}
}

// TestOpenStorageRefuses: an empty folder, two ZIPs, a missing or damaged
// file of an unpacked export are clear errors before any restore.
func TestOpenStorageRefuses(t *testing.T) {
	r := newRepo(t)
	m := snapshot(t, r)
	st, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	plain := export(t, r, m, true)
	put(t, st, "empty/readme.txt", []byte("x"))
	put(t, st, "two/a.zip", plain)
	put(t, st, "two/b.zip", plain)
	unpack(t, st, "missing", plain)
	if err := st.Delete(ctx, "missing/postgres.app/app.sql"); err != nil {
		t.Fatal(err)
	}
	unpack(t, st, "damaged", plain)
	put(t, st, "damaged/postgres.app/app.sql", []byte(strings.Repeat("X", 50)))
	for dir, want := range map[string]string{"empty": "no export there", "two": "2 ZIP files",
		"missing": "postgres.app/app.sql is missing", "nothing": "no export there"} {
		if _, err := OpenStorage(ctx, st, dir, noPass); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", dir, err, want)
		}
	}
	a, err := OpenStorage(ctx, st, "damaged", noPass)
	if err == nil {
		err = a.Verify(ctx)
	}
	if !errors.Is(err, ErrDamaged) {
		t.Errorf("damaged: %v, want ErrDamaged", err)
	}
}

// TestObjectReaderAtStreams: small sequential reads, two interleaved, and
// short forward gaps continue open ranged reads instead of one request
// each.
func TestObjectReaderAtStreams(t *testing.T) {
	inner, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := counting.New(inner)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	put(t, st, "big", data)
	ra := newObjectReaderAt(context.Background(), st, "big", int64(len(data)))
	defer ra.Close()
	buf := make([]byte, 4096)
	for off := int64(0); off < 1<<19; off += 4096 {
		for _, base := range []int64{0, 1 << 19} { // two readers, interleaved
			if _, err := ra.ReadAt(buf[:4000], base+off); err != nil || !bytes.Equal(buf[:4000], data[base+off:base+off+4000]) {
				t.Fatalf("ReadAt %d: %v", base+off, err)
			}
		}
	}
	if n := st.Counts().GetRange; n != 2 {
		t.Errorf("%d ranged reads, want 2", n)
	}
	if n, err := ra.ReadAt(buf, int64(len(data))-100); n != 100 || err != io.EOF {
		t.Errorf("read at the end: %d, %v", n, err)
	}
}

func TestWithin(t *testing.T) {
	for loc, want := range map[string]string{
		"s3:backup at http://127.0.0.1:9000": "s3:backup/ID/ at http://127.0.0.1:9000",
		"s3:backup in us-east-1":             "s3:backup/ID/ in us-east-1",
		"/srv/dir at home":                   "/srv/dir at home/ID/",
	} {
		if got := within(loc, "ID/"); got != want {
			t.Errorf("within(%q) = %q, want %q", loc, got, want)
		}
	}
}
