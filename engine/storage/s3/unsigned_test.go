package s3_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/s3"
)

// payloadRecorder is a fake S3 endpoint that accepts writes (single and
// multipart) and records the payload hash each request signed.
type payloadRecorder struct {
	mu     sync.Mutex
	hashes map[string][]string // "PUT" or "POST" -> x-amz-content-sha256 of each request
}

func (p *payloadRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	p.mu.Lock()
	p.hashes[r.Method] = append(p.hashes[r.Method], r.Header.Get("X-Amz-Content-Sha256"))
	p.mu.Unlock()
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPost && q.Has("uploads"):
		io.WriteString(w, `<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>`)
	case r.Method == http.MethodPost:
		io.WriteString(w, `<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>"e"</ETag></CompleteMultipartUploadResult>`)
	default:
		w.Header().Set("ETag", `"e"`)
	}
}

// TestRepositoryWritesSignNoBodyHash: over plain http, a write of a
// repository object (one PutObject, or a multipart upload's parts) signs
// UNSIGNED-PAYLOAD instead of hashing its body with SHA-256; a bucket
// source's object (PutObject) still signs its body's SHA-256.
func TestRepositoryWritesSignNoBodyHash(t *testing.T) {
	rec := &payloadRecorder{hashes: map[string][]string{}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	ctx := context.Background()
	st, err := s3.New(ctx, s3.Options{Endpoint: srv.URL, Bucket: "b", PathStyle: true, AccessKey: "a", SecretKey: "s",
		PartSize: s3.MinPartSize, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	small := []byte("sealed bytes")
	if err := st.Put(ctx, "data/00/0001", bytes.NewReader(small), int64(len(small)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	large := bytes.Repeat([]byte("x"), 2*s3.MinPartSize+1) // three parts
	if err := st.Put(ctx, "data/00/0002", bytes.NewReader(large), int64(len(large)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	puts := rec.hashes[http.MethodPut]
	if len(puts) != 4 {
		t.Fatalf("%d PUT requests, want 4 (one object, three parts)", len(puts))
	}
	for i, h := range puts {
		if h != "UNSIGNED-PAYLOAD" {
			t.Errorf("repository PUT %d signed payload %q, want UNSIGNED-PAYLOAD", i, h)
		}
	}
	rec.hashes = map[string][]string{}
	if err := st.PutObject(ctx, "user/object", s3.Head{}, bytes.NewReader(small), int64(len(small))); err != nil {
		t.Fatal(err)
	}
	if got := rec.hashes[http.MethodPut]; len(got) != 1 || len(got[0]) != 64 || strings.Contains(got[0], "UNSIGNED") {
		t.Errorf("bucket source PUT signed %q, want its body's SHA-256", got)
	}
}
