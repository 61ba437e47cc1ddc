package bucket

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/velinhq/velin/engine/storage/s3/s3test"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

// taggingProxy forwards requests to endpoint and counts those for an
// object's tags (a "tagging" query). The Host header stays the proxy's,
// which is what the client signed.
func taggingProxy(t *testing.T, endpoint string) (string, *atomic.Int64) {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("tagging") {
			n.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

// TestBackupAsksTagsOnlyOfTaggedObjects: GetObject's x-amz-tagging-count
// tells which objects have tags; only those cost a GetObjectTagging
// request, and their tags are kept.
func TestBackupAsksTagsOnlyOfTaggedObjects(t *testing.T) {
	ctx := context.Background()
	srv, b := s3test.Bucket(t)
	tagged := map[string]string{"t1": "class=gold", "t2": "a=1&b=x+y"}
	for _, key := range []string{"plain1", "plain2", "plain3", "t1", "t2"} {
		in := &awss3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key),
			Body: bytes.NewReader([]byte("data of " + key)), ContentLength: aws.Int64(int64(len("data of " + key)))}
		if tags, ok := tagged[key]; ok {
			in.Tagging = aws.String(tags)
		}
		if _, err := srv.Client().PutObject(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	endpoint, asked := taggingProxy(t, srv.Endpoint)
	src, err := New(ctx, Options{Endpoint: endpoint, PathStyle: true, AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey, Buckets: []string{b}})
	if err != nil {
		t.Fatal(err)
	}
	sink, finish := sourcetest.MemRepo(t, nil)
	if _, err := src.Backup(ctx, sink, provider.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := asked.Load(); n != int64(len(tagged)) {
		t.Errorf("%d tagging requests for %d tagged objects of 5, want one each", n, len(tagged))
	}
	files := 0
	err = finish().Walk(ctx, func(e provider.Entry) error {
		if e.Kind != provider.KindFile {
			return nil
		}
		files++
		key := e.Path[strings.LastIndex(e.Path, "/")+1:]
		if want, _ := url.ParseQuery(tagged[key]); e.Meta[metaTags] != want.Encode() {
			t.Errorf("%s: tags %q, want %q", e.Path, e.Meta[metaTags], want.Encode())
		}
		return nil
	})
	if err != nil || files != 5 {
		t.Fatalf("snapshot holds %d files (%v), want 5", files, err)
	}
}
