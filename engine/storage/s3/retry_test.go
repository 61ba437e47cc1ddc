package s3_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/s3"
	"github.com/velinhq/velin/engine/storage/s3/s3test"
	"github.com/velinhq/velin/engine/storage/s3/s3test/faultproxy"
	"github.com/velinhq/velin/engine/storage/storagetest"
)

// TestRetries runs writes and reads through a proxy that fails half the
// requests (500, 503, resets), and at least one in four whatever the seed
// (the run makes a dozen requests: a few faults are certain, not likely):
// all succeed, with the right content.
func TestRetries(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	proxy := faultproxy.Start(t, srv.Endpoint, faultproxy.Seed(t), faultproxy.Rates{
		Internal: 0.15, SlowDown: 0.15, ResetBefore: 0.1, ResetAfter: 0.1, AtLeastEvery: 4,
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

// TestSuiteThroughFaults runs the storage suite through a proxy that
// faults about one request in six, truncated GET bodies included: the
// retryer and the resuming reader absorb every fault.
func TestSuiteThroughFaults(t *testing.T) {
	seed := faultproxy.Seed(t)
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		srv, bucket := s3test.Bucket(t)
		proxy := faultproxy.Start(t, srv.Endpoint, seed, faultproxy.Moderate())
		opts := srv.Options(bucket, "velin/faults")
		opts.Endpoint, opts.PartSize = proxy.URL, s3.MinPartSize
		s, err := s3.New(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestCutBodiesAreResumed reads objects and ranges through a proxy that
// cuts half the GET bodies mid-stream, and at least one GET in four
// whatever the seed: every read gives the exact bytes (a reader gives up
// only after 5 resumes in a row that brought nothing).
func TestCutBodiesAreResumed(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	proxy := faultproxy.Start(t, srv.Endpoint, faultproxy.Seed(t), faultproxy.Rates{Truncate: 0.5, AtLeastEvery: 4})
	opts := srv.Options(bucket, "cut")
	opts.Endpoint = proxy.URL
	s, err := s3.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	data := storagetest.Content(5, 3<<20)
	put(t, s, "p", data)
	for i := 0; i < 8; i++ {
		if got := read(t, s, "p"); !bytes.Equal(got, data) {
			t.Fatalf("Get %d: %d bytes that differ from the %d written", i, len(got), len(data))
		}
		off, n := int64(i*200_000+7), int64(1<<20)
		rc, err := s.GetRange(context.Background(), "p", off, n)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, data[off:off+n]) {
			t.Fatalf("GetRange(%d, %d) %d: %d bytes, %v", off, n, i, len(got), err)
		}
	}
	if proxy.Count(faultproxy.Truncate) < 3 {
		t.Fatalf("too few bodies cut: %s", proxy.Summary())
	}
}
