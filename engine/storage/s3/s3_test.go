package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/s3"
	"github.com/velinhq/velin/engine/storage/s3/s3test"
	"github.com/velinhq/velin/engine/storage/storagetest"
)

// newStorage returns a storage in a fresh bucket of its own, under a
// prefix, removed when t ends.
func newStorage(t testing.TB, prefix string) (*s3.Storage, s3test.Server, string) {
	t.Helper()
	srv, bucket := s3test.Bucket(t)
	s, err := s3.New(context.Background(), srv.Options(bucket, prefix))
	if err != nil {
		t.Fatal(err)
	}
	return s, srv, bucket
}

// TestSuite runs the suite with the smallest part size, so that its larger
// objects are multipart uploads, under a prefix.
// smallParts returns a storage with the smallest part size S3 allows, in a
// fresh bucket under a prefix.
func smallParts(t testing.TB) (*s3.Storage, s3test.Server, string) {
	t.Helper()
	srv, bucket := s3test.Bucket(t)
	opts := srv.Options(bucket, "velin/suite")
	opts.PartSize = s3.MinPartSize
	s, err := s3.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, srv, bucket
}

func TestSuite(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		s, _, _ := smallParts(t)
		return s
	})
}

func TestSuiteAtBucketRoot(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		s, _, _ := newStorage(t, "")
		return s
	})
}

// TestPrefix checks that objects live under the prefix and that keys
// outside it are neither listed nor reachable.
func TestPrefix(t *testing.T) {
	s, srv, bucket := newStorage(t, "/velin/prod/")
	ctx := context.Background()
	put(t, s, "keys/a", []byte("inside"))
	other, err := s3.New(ctx, srv.Options(bucket, "velin"))
	if err != nil {
		t.Fatal(err)
	}
	put(t, other, "outside", []byte("outside"))
	if got := read(t, other, "prod/keys/a"); string(got) != "inside" {
		t.Errorf("key velin/prod/keys/a holds %q, want the object stored as keys/a under velin/prod", got)
	}
	var names []string
	err = s.List(ctx, "", func(oi storage.ObjectInfo) error { names = append(names, oi.Name); return nil })
	if err != nil || len(names) != 1 || names[0] != "keys/a" {
		t.Errorf("List under the prefix = %v, %v; want [keys/a]", names, err)
	}
	if _, err := s.Stat(ctx, "../outside"); err == nil {
		t.Error("Stat of a name escaping the prefix succeeded")
	}
}

// TestIfAbsentMultipart checks the conditional write of a multipart upload.
func TestIfAbsentMultipart(t *testing.T) {
	s, srv, bucket := smallParts(t)
	first, second := storagetest.Content(1, 11<<20), storagetest.Content(2, 12<<20)
	ifAbsent := storage.PutOptions{IfAbsent: true}
	for _, size := range []int64{int64(len(first)), -1} {
		name := "locks/big" + string(rune('0'+size&1))
		if err := s.Put(context.Background(), name, bytes.NewReader(first), size, ifAbsent); err != nil {
			t.Fatalf("Put IfAbsent (size %d): %v", size, err)
		}
		err := s.Put(context.Background(), name, bytes.NewReader(second), -1, ifAbsent)
		if !errors.Is(err, storage.ErrExists) {
			t.Errorf("second multipart Put IfAbsent (size %d): %v, want ErrExists", size, err)
		}
		if got := read(t, s, name); !bytes.Equal(got, first) {
			t.Errorf("object replaced by a refused IfAbsent Put (%d bytes)", len(got))
		}
	}
	wantNoUploads(t, srv, bucket)
}

// TestFailedMultipartIsAborted checks that a Put failing after some parts
// leaves no unfinished upload behind.
func TestFailedMultipartIsAborted(t *testing.T) {
	s, srv, bucket := smallParts(t)
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(storagetest.Content(3, 20<<20)), errReader{boom})
	if err := s.Put(context.Background(), "data/x", r, -1, storage.PutOptions{}); !errors.Is(err, boom) {
		t.Fatalf("Put with a failing reader: %v, want boom", err)
	}
	big := storagetest.Content(4, 17<<20)
	if err := s.Put(context.Background(), "data/y", bytes.NewReader(big), int64(len(big))+1, storage.PutOptions{}); !errors.Is(err, s3.ErrSizeMismatch) {
		t.Fatalf("Put shorter than announced: %v, want ErrSizeMismatch", err)
	}
	wantNoUploads(t, srv, bucket)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func wantNoUploads(t *testing.T, srv s3test.Server, bucket string) {
	t.Helper()
	ups, err := srv.Uploads(bucket)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 0 {
		t.Errorf("unfinished multipart uploads left: %v", ups)
	}
}

func TestLocationHasNoSecrets(t *testing.T) {
	srv := s3test.Load(t)
	opts := srv.Options("some-bucket", "velin/prod")
	s, err := s3.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	loc := s.Location()
	if !strings.Contains(loc, "some-bucket/velin/prod") || !strings.Contains(loc, srv.Endpoint) {
		t.Errorf("Location() = %q, want the bucket, prefix and endpoint", loc)
	}
	if strings.Contains(loc, srv.SecretKey) || strings.Contains(loc, srv.AccessKey) {
		t.Errorf("Location() = %q shows a credential", loc)
	}
}

func put(t testing.TB, s storage.Storage, name string, data []byte) {
	t.Helper()
	if err := s.Put(context.Background(), name, bytes.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
		t.Fatalf("Put(%s): %v", name, err)
	}
}

func read(t testing.TB, s storage.Storage, name string) []byte {
	t.Helper()
	rc, err := s.Get(context.Background(), name)
	if err != nil {
		t.Fatalf("Get(%s): %v", name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return data
}
