package export

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/storage/local"
	"github.com/velinhq/velin/providers/provider"
)

const testPass = "export-test-passphrase"

var t0 = time.Date(2026, 11, 20, 5, 15, 0, 0, time.UTC)

func newRepo(t testing.TB) *repo.Repository {
	st, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Init(context.Background(), st, repo.Options{Encryption: repo.EncryptionNone})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// redisDump is velin's record stream of two keys, one with an expiry.
func redisDump() []byte {
	var b bytes.Buffer
	b.WriteString(redisHeader)
	rec := func(key string, exp int64, payload []byte) {
		b.WriteByte('K')
		b.Write(binary.AppendUvarint(nil, uint64(len(key))))
		b.WriteString(key)
		b.Write(binary.AppendVarint(nil, exp))
		b.Write(binary.AppendUvarint(nil, uint64(len(payload))))
		b.Write(payload)
	}
	rec("user:1", 0, []byte("\x00\x05alice\x0b\x00payload"))
	rec("session:\r\n2", 1900000000000, bytes.Repeat([]byte{0, '\r', '\n', 0xff}, 100))
	b.WriteByte('E')
	b.Write(binary.AppendUvarint(nil, 2))
	return b.Bytes()
}

type entry struct {
	e    provider.Entry
	data []byte
}

func testSources() map[[2]string][]entry {
	file := func(p string, data string, meta map[string]string) entry {
		return entry{provider.Entry{Path: p, Kind: provider.KindFile, Mode: 0o640, ModTime: t0, Size: int64(len(data)), Meta: meta}, []byte(data)}
	}
	return map[[2]string][]entry{
		{"files", "site"}: {
			{e: provider.Entry{Path: "site", Kind: provider.KindDir, Mode: 0o755, ModTime: t0}},
			file("site/a.txt", "hello", map[string]string{"content-type": "text/plain"}),
			{e: provider.Entry{Path: "site/b", Kind: provider.KindSymlink, Mode: 0o777, ModTime: t0, Target: "a.txt"}},
			file("site/big.bin", strings.Repeat("0123456789", 10000), nil),
		},
		{"postgres", "app"}: {file("app.sql", "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n", map[string]string{"database": "app"})},
		{"redis", "cache"}:  {file("db0.rdbdump", string(redisDump()), map[string]string{"db": "0"})},
	}
}

// snapshot writes testSources into r and returns the manifest.
func snapshot(t testing.TB, r *repo.Repository) *repo.Manifest {
	ctx := context.Background()
	w, err := r.NewSnapshot(ctx, repo.SnapshotMeta{Backup: "nightly"})
	if err != nil {
		t.Fatal(err)
	}
	for k, entries := range testSources() {
		sw := w.Source(k[0], k[1])
		for _, en := range entries {
			var rd io.Reader
			if en.e.Kind == provider.KindFile {
				rd = bytes.NewReader(en.data)
			}
			if err := sw.Put(ctx, en.e, rd); err != nil {
				t.Fatal(err)
			}
		}
		if err := sw.Finish(ctx, provider.Facts{Type: k[0], Identity: k[1], ServerVersion: k[0] + " 1.0"}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := w.Commit(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func export(t testing.TB, r *repo.Repository, m *repo.Manifest, plain bool) []byte {
	var buf bytes.Buffer
	if _, err := Write(context.Background(), &buf, r, m, Options{Passphrase: testPass, Plain: plain, Version: "test", Now: t0, WorkFactor: 10}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func open(data []byte, pass string) (*Archive, error) {
	return Open(bytes.NewReader(data), int64(len(data)), "test.zip", pass)
}

// contents reads a tree back as "path kind target meta: content" lines.
func contents(t testing.TB, tree provider.Tree) string {
	ctx := context.Background()
	var b strings.Builder
	err := tree.Walk(ctx, func(e provider.Entry) error {
		b.WriteString(e.Path + " " + string(e.Kind) + " " + e.Mode.String() + " " + e.Target + " " + e.ModTime.UTC().String())
		for _, k := range []string{"content-type", "database", "db"} {
			b.WriteString(" " + e.Meta[k])
		}
		if e.Kind == provider.KindFile {
			rc, err := tree.Open(ctx, e)
			if err != nil {
				return err
			}
			defer rc.Close()
			data, err := io.ReadAll(rc)
			if err != nil {
				return err
			}
			b.WriteString(": " + string(data))
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func sameTrees(t *testing.T, want, got interface {
	Tree(context.Context, *repo.Manifest, string) (provider.Tree, error)
}, mw, mg *repo.Manifest) {
	t.Helper()
	for _, s := range mw.Sources {
		tw, err := want.Tree(context.Background(), mw, s.Key)
		if err != nil {
			t.Fatal(err)
		}
		tg, err := got.Tree(context.Background(), mg, s.Key)
		if err != nil {
			t.Fatal(err)
		}
		if w, g := contents(t, tw), contents(t, tg); w != g {
			t.Errorf("source %s differs:\nwant %q\ngot  %q", s.Key, w, g)
		}
	}
}

func TestExportRoundTripsEncrypted(t *testing.T) {
	r := newRepo(t)
	m := snapshot(t, r)
	data := export(t, r, m, false)
	if !bytes.HasPrefix(data, []byte(ageMagic)) {
		t.Fatal("an export without --plain is not an age file")
	}
	a, err := open(data, testPass)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.Snapshot().ID != m.ID || a.Manifest().Snapshot != m.ID {
		t.Fatalf("snapshot id %s, want %s", a.Snapshot().ID, m.ID)
	}
	sameTrees(t, r, a, m, a.Snapshot())
}

func TestPlainExportIsNativeZIP(t *testing.T) {
	r := newRepo(t)
	m := snapshot(t, r)
	data := export(t, r, m, true)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	for _, n := range []string{"manifest.toml", "snapshot.json", "files.site/tree.tar", "postgres.app/app.sql", "redis.cache/db0.resp"} {
		if !names[n] {
			t.Errorf("no %s in %v", n, names)
		}
	}
	rc, _ := zr.Open("redis.cache/db0.resp")
	resp, _ := io.ReadAll(rc)
	if !bytes.HasPrefix(resp, []byte("*6\r\n$7\r\nRESTORE\r\n$6\r\nuser:1\r\n$1\r\n0\r\n")) {
		t.Errorf("redis entry is not RESTORE commands: %q", resp[:40])
	}
}

func TestImportKeepsSnapshotID(t *testing.T) {
	r := newRepo(t)
	m := snapshot(t, r)
	a, err := open(export(t, r, m, false), testPass)
	if err != nil {
		t.Fatal(err)
	}
	dst := newRepo(t)
	got, err := Import(context.Background(), a, dst)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != m.ID || !got.Time.Equal(m.Time) || got.Backup != m.Backup {
		t.Fatalf("imported %s %s %s, want %s %s %s", got.ID, got.Time, got.Backup, m.ID, m.Time, m.Backup)
	}
	sameTrees(t, r, dst, m, got)
	if _, err := Import(context.Background(), a, dst); !errors.Is(err, repo.ErrSnapshotExists) {
		t.Fatalf("second import: %v, want ErrSnapshotExists", err)
	}
}

// TestMetaLines: a tar source's entries with metadata (a bucket object's
// content type, user metadata, tags) are listed in meta.jsonl beside
// tree.tar, for a restore by hand; the export still reads back whole.
func TestMetaLines(t *testing.T) {
	r := newRepo(t)
	m := snapshot(t, r)
	data := export(t, r, m, true)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, f := range zr.File {
		if f.Name == "files.site/meta.jsonl" && f.Method == zip.Store {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			got = string(b)
		}
	}
	if want := `{"path":"site/a.txt","meta":{"content-type":"text/plain"}}` + "\n"; got != want {
		t.Errorf("files.site/meta.jsonl (stored) = %q, want %q", got, want)
	}
	a, err := open(data, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(a.Manifest().Sources[0].Entries) + len(a.Manifest().Sources[1].Entries) + len(a.Manifest().Sources[2].Entries); n != 4 {
		t.Errorf("%d entries in the manifest, want 4 (tree.tar, meta.jsonl, app.sql, db0.resp)", n)
	}
}
