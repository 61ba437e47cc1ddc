package export

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestZstdDumps: with Compress zstd a SQL dump is "<db>.sql.zst", stored
// as it is, one zstd frame that `zstd -d` opens; the export is format 2
// and reads back (Verify, trees) like any other.
func TestZstdDumps(t *testing.T) {
	r := newRepo(t)
	m := snapshot(t, r)
	var buf bytes.Buffer
	if _, err := Write(context.Background(), &buf, r, m, Options{Plain: true, Version: "test", Now: t0, Compress: CompressZstd}); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var zst []byte
	for _, f := range zr.File {
		if f.Name == "postgres.app/app.sql.zst" && f.Method == zip.Store {
			rc, _ := f.Open()
			zst, _ = io.ReadAll(rc)
		}
	}
	want := "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n"
	if got := unzstd(t, zst); got != want {
		t.Fatalf("postgres.app/app.sql.zst (stored) decompresses to %q, want %q", got, want)
	}
	a, err := open(data, "")
	if err != nil {
		t.Fatal(err)
	}
	if a.Manifest().Format != formatZstd {
		t.Errorf("format %d, want %d", a.Manifest().Format, formatZstd)
	}
	if err := a.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	sameTrees(t, r, a, m, a.Snapshot())
}

// unzstd decompresses with the zstd tool when installed, else the library.
func unzstd(t *testing.T, data []byte) string {
	t.Helper()
	if len(data) == 0 {
		t.Fatal("no zstd entry")
	}
	if bin, err := exec.LookPath("zstd"); err == nil {
		in := filepath.Join(t.TempDir(), "app.sql.zst")
		if err := os.WriteFile(in, data, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "-d", "-c", in).Output()
		if err != nil {
			t.Fatalf("zstd -d: %v", err)
		}
		return string(out)
	}
	d, err := zstd.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	out, err := io.ReadAll(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
