package s3_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/s3"
	"github.com/velinhq/velin/engine/storage/s3/s3test"
	"github.com/velinhq/velin/engine/storage/s3/s3test/faultproxy"
	"github.com/velinhq/velin/engine/storage/storagetest"
)

// TestRetries runs writes and reads through a proxy that fails half the
// requests (500, 503, resets): all succeed, with the right content.
func TestRetries(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	proxy := faultproxy.Start(t, srv.Endpoint, faultproxy.Seed(t), faultproxy.Rates{
		Internal: 0.15, SlowDown: 0.15, ResetBefore: 0.1, ResetAfter: 0.1,
	})
	opts := srv.Options(bucket, "flaky")
	opts.Endpoint = proxy.URL
	s, err := s3.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	small, big := storagetest.Content(1, 1000), storagetest.Content(2, 17<<20)
	put(t, s, "a/small", small)
	if err := s.Put(ctx, "a/big", bytes.NewReader(big), -1, storage.PutOptions{IfAbsent: true}); err != nil {
		t.Fatalf("multipart Put through a flaky proxy: %v", err)
	}
	for name, want := range map[string][]byte{"a/small": small, "a/big": big} {
		if got := read(t, s, name); !bytes.Equal(got, want) {
			t.Errorf("%s: read %d bytes that differ from the %d written", name, len(got), len(want))
		}
		if oi, err := s.Stat(ctx, name); err != nil || oi.Size != int64(len(want)) {
			t.Errorf("Stat(%s) = %+v, %v", name, oi, err)
		}
	}
	n := 0
	if err := s.List(ctx, "a/", func(storage.ObjectInfo) error { n++; return nil }); err != nil || n != 2 {
		t.Errorf("List: %d objects, %v", n, err)
	}
	if err := s.Delete(ctx, "a/small"); err != nil {
		t.Errorf("Delete: %v", err)
	}
	if proxy.Faulted() < 3 {
		t.Fatalf("the proxy faulted too few requests: %s", proxy.Summary())
	}
}
