package export

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// openVerify opens and verifies, as restore and import do before writing.
func openVerify(data []byte, pass string) error {
	a, err := open(data, pass)
	if err != nil {
		return err
	}
	return a.Verify(context.Background())
}

func TestTruncatedExportIsRefused(t *testing.T) {
	r := newRepo(t)
	m := snapshot(t, r)
	for _, plain := range []bool{true, false} {
		data := export(t, r, m, plain)
		for _, n := range []int{len(data) - 1, len(data) - 30, len(data) / 2, 200, 10} {
			err := openVerify(data[:n], testPass)
			if !errors.Is(err, ErrDamaged) {
				t.Errorf("plain=%v cut at %d of %d: %v, want ErrDamaged", plain, n, len(data), err)
			}
		}
	}
}

func TestWrongPassphraseIsRefused(t *testing.T) {
	r := newRepo(t)
	data := export(t, r, snapshot(t, r), false)
	if _, err := open(data, "not the passphrase"); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("wrong passphrase: %v, want ErrWrongKey", err)
	}
	if _, err := open(data, ""); !errors.Is(err, ErrNeedKey) {
		t.Fatalf("no passphrase: %v, want ErrNeedKey", err)
	}
}

// rewrite copies a plain export, passing manifest.toml through edit.
func rewrite(t *testing.T, data []byte, edit func(string) string) []byte {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if f.Name != manifestName {
			if err := zw.Copy(f); err != nil {
				t.Fatal(err)
			}
			continue
		}
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		w, _ := zw.Create(f.Name)
		w.Write([]byte(edit(string(b))))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestNewerFormatIsRefused(t *testing.T) {
	r := newRepo(t)
	data := export(t, r, snapshot(t, r), true)
	same := rewrite(t, data, func(s string) string { return s })
	if err := openVerify(same, ""); err != nil {
		t.Fatalf("a copy of the export: %v", err)
	}
	newer := rewrite(t, data, func(s string) string { return strings.Replace(s, "format = 1\n", "format = 3\n", 1) })
	_, err := open(newer, "")
	if !errors.Is(err, ErrNewerFormat) || !strings.Contains(err.Error(), "format 3") {
		t.Fatalf("format 3: %v, want ErrNewerFormat", err)
	}
	unknown := rewrite(t, data, func(s string) string { return strings.Replace(s, `format = "resp"`, `format = "brotli"`, 1) })
	if _, err := open(unknown, ""); !errors.Is(err, ErrNewerFormat) || !strings.Contains(err.Error(), "brotli") {
		t.Fatalf("entry format brotli: %v, want ErrNewerFormat", err)
	}
}

func TestDamagedEntryIsRefused(t *testing.T) {
	r := newRepo(t)
	m := snapshot(t, r)
	plain := export(t, r, m, true)
	for _, needle := range []string{"0123456789", "INSERT INTO", "*6\r\n$7\r\nRESTORE"} {
		i := bytes.Index(plain, []byte(needle))
		if needle != "0123456789" {
			i = entryOffset(t, plain, needle)
		}
		if i < 0 {
			t.Fatalf("no %q in the export", needle)
		}
		bad := bytes.Clone(plain)
		bad[i+3] ^= 0x20
		if err := openVerify(bad, ""); !errors.Is(err, ErrDamaged) {
			t.Errorf("byte of %q flipped: %v, want ErrDamaged", needle, err)
		}
	}
	enc := export(t, r, m, false)
	bad := bytes.Clone(enc)
	bad[len(bad)/2] ^= 1
	if err := openVerify(bad, testPass); !errors.Is(err, ErrDamaged) {
		t.Errorf("encrypted export with a byte flipped: %v, want ErrDamaged", err)
	}
}

// entryOffset is the offset of the compressed data of the entry whose
// content starts with prefix.
func entryOffset(t *testing.T, data []byte, prefix string) int {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		if strings.Contains(string(b), prefix) {
			off, _ := f.DataOffset()
			return int(off)
		}
	}
	return -1
}

func TestRESPRoundTrip(t *testing.T) {
	var resp, back bytes.Buffer
	if err := toRESP(&resp, bytes.NewReader(redisDump())); err != nil {
		t.Fatal(err)
	}
	if err := fromRESP(&back, bytes.NewReader(resp.Bytes())); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Bytes(), redisDump()) {
		t.Fatalf("round trip differs:\n%q\n%q", back.Bytes(), redisDump())
	}
	cut := resp.Bytes()[:resp.Len()-5]
	if err := fromRESP(io.Discard, bytes.NewReader(cut)); !errors.Is(err, errRESP) {
		t.Fatalf("truncated RESP: %v", err)
	}
}
