package local

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/storagetest"
)

func newTestStorage(t testing.TB) *Storage {
	t.Helper()
	s, err := New(filepath.Join(t.TempDir(), "repo"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSuite(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Storage { return newTestStorage(t) })
}

func TestNewCreatesPrivateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("mode %v, want 0700", fi.Mode().Perm())
	}
	if !filepath.IsAbs(s.Location()) || s.Location() != dir {
		t.Errorf("Location() = %q, want %q", s.Location(), dir)
	}
}

func TestNewRejectsFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(f); err == nil {
		t.Error("New on a regular file succeeded")
	}
}

func TestObjectIsFileAtName(t *testing.T) {
	s := newTestStorage(t)
	data := []byte("hello")
	if err := s.Put(context.Background(), "data/ab/cd", bytes.NewReader(data), 5, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(s.Location(), "data", "ab", "cd"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("file content %q, %v; want %q", got, err, data)
	}
	assertNoTemp(t, s.Location())
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"a", "data/ab/ab12", "keys/x.json", "a b", "~x", ".hidden"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("ValidateName(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "/a", "a/../b", "..", "a//b", "a/", "a\\b", "a\tb", ".tmp-x", "d/.tmp-1"} {
		if err := ValidateName(bad); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidateName(%q) = %v, want ErrInvalidName", bad, err)
		}
	}
}

// TestTempDebris checks that leftover temp files are not listed and that
// CleanTemp removes only the old ones.
func TestTempDebris(t *testing.T) {
	s := newTestStorage(t)
	ctx := context.Background()
	if err := s.Put(ctx, "data/aa/obj", bytes.NewReader([]byte("x")), 1, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	oldTmp := filepath.Join(s.Location(), "data", "aa", tempPrefix+"old")
	newTmp := filepath.Join(s.Location(), "data", tempPrefix+"new")
	for _, p := range []string{oldTmp, newTmp} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	if err := os.Chtimes(oldTmp, now.Add(-2*time.Hour), now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var listed []string
	if err := s.List(ctx, "", func(oi storage.ObjectInfo) error { listed = append(listed, oi.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 || listed[0] != "data/aa/obj" {
		t.Errorf("List = %v, want only data/aa/obj", listed)
	}
	s.now = func() time.Time { return now }
	n, err := s.CleanTemp(ctx, time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("CleanTemp = %d, %v; want 1 removed", n, err)
	}
	if _, err := os.Stat(oldTmp); !os.IsNotExist(err) {
		t.Errorf("old temp file still there: %v", err)
	}
	if _, err := os.Stat(newTmp); err != nil {
		t.Errorf("fresh temp file removed: %v", err)
	}
}

func TestFailedPutLeavesNoTemp(t *testing.T) {
	s := newTestStorage(t)
	err := s.Put(context.Background(), "d/x", bytes.NewReader([]byte("abc")), 4, storage.PutOptions{})
	if !errors.Is(err, ErrSizeMismatch) {
		t.Fatalf("Put with a wrong size: %v, want ErrSizeMismatch", err)
	}
	err = s.Put(context.Background(), "d/y", bytes.NewReader([]byte("abc")), 3, storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Put(context.Background(), "d/y", bytes.NewReader([]byte("abc")), 3, storage.PutOptions{IfAbsent: true})
	if !errors.Is(err, storage.ErrExists) {
		t.Fatalf("Put IfAbsent: %v, want ErrExists", err)
	}
	assertNoTemp(t, s.Location())
}

func TestGetRangeOffsetPastEnd(t *testing.T) {
	s := newTestStorage(t)
	if err := s.Put(context.Background(), "x", bytes.NewReader([]byte("abc")), 3, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRange(context.Background(), "x", 4, 1); !errors.Is(err, ErrInvalidRange) {
		t.Errorf("GetRange past the end: %v, want ErrInvalidRange", err)
	}
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && len(d.Name()) >= len(tempPrefix) && d.Name()[:len(tempPrefix)] == tempPrefix {
			t.Errorf("temp file left: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func BenchmarkPut16MiB(b *testing.B) {
	s := newTestStorage(b)
	data := storagetest.Content(1, 16<<20)
	b.SetBytes(int64(len(data)))
	for i := 0; b.Loop(); i++ {
		name := "data/" + string(rune('a'+i%26)) + "/pack"
		if err := s.Put(context.Background(), name, bytes.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet16MiB(b *testing.B) {
	s := newTestStorage(b)
	data := storagetest.Content(1, 16<<20)
	if err := s.Put(context.Background(), "data/pack", bytes.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, len(data))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rc, err := s.Get(context.Background(), "data/pack")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(rc, buf); err != nil {
			b.Fatal(err)
		}
		rc.Close()
	}
}
