package s3_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/s3"
	"github.com/velinhq/velin/engine/storage/s3/s3test"
	"github.com/velinhq/velin/engine/storage/storagetest"
)

// flakyProxy forwards to the server but fails every second request, in
// turn with 503 SlowDown, a dropped connection and 500.
type flakyProxy struct {
	next     http.Handler
	requests atomic.Int64
	failed   atomic.Int64
}

func (p *flakyProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := p.requests.Add(1)
	if n%2 == 1 {
		p.next.ServeHTTP(w, r)
		return
	}
	p.failed.Add(1)
	switch (n / 2) % 3 {
	case 0:
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>slow down</Message></Error>`))
	case 1:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	default:
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>oops</Message></Error>`))
	}
}

// TestRetries runs writes and reads through a proxy that fails every
// second request: all succeed, with the right content.
func TestRetries(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	target, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &flakyProxy{next: httputil.NewSingleHostReverseProxy(target)}
	front := httptest.NewServer(proxy)
	defer front.Close()
	opts := srv.Options(bucket, "flaky")
	opts.Endpoint = front.URL
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
	if proxy.failed.Load() < 5 {
		t.Fatalf("the proxy failed only %d of %d requests", proxy.failed.Load(), proxy.requests.Load())
	}
	t.Logf("%d requests, %d failed and retried", proxy.requests.Load(), proxy.failed.Load())
}
