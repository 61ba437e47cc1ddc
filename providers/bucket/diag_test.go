package bucket

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	s3storage "github.com/velinhq/velin/engine/storage/s3"
	"github.com/velinhq/velin/engine/storage/s3/s3test"
)

// TestInspectClockSkewAndRegion: a skewed clock (requests signed an hour
// back, judged by the real MinIO) and a bucket of another region (S3's
// answer from a fake server: MinIO accepts any region) are errors naming
// the source and the fix.
func TestInspectClockSkewAndRegion(t *testing.T) {
	srv, b := s3test.Bucket(t)
	src, err := New(context.Background(), Options{Endpoint: srv.Endpoint, PathStyle: true, Buckets: []string{b},
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	src.client = srv.SkewedClient(-time.Hour)
	_, err = src.Inspect(context.Background())
	if !errors.Is(err, s3storage.ErrClockSkewed) || !strings.Contains(err.Error(), "s3 source s3:"+b) ||
		!strings.Contains(err.Error(), "set the clock right") {
		t.Errorf("inspect with a clock an hour behind: %v; want %v naming the source and the fix", err, s3storage.ErrClockSkewed)
	}

	endpoint := s3test.AWSError(t, http.StatusBadRequest, "AuthorizationHeaderMalformed", s3test.MsgAuthorizationHeaderMalformed, nil)
	src, err = New(context.Background(), Options{Endpoint: endpoint, PathStyle: true, Buckets: []string{"acme-uploads"},
		AccessKey: "AKIAEXAMPLE", SecretKey: "secret-example-key"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Inspect(context.Background())
	if !errors.Is(err, s3storage.ErrWrongRegion) || !strings.Contains(err.Error(), "s3 source s3:acme-uploads") ||
		!strings.Contains(err.Error(), `set region = "eu-central-1"`) {
		t.Errorf("inspect of a bucket in another region: %v; want %v naming the source and the region", err, s3storage.ErrWrongRegion)
	}
}
