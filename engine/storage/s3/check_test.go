package s3_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/storage/s3"
	"github.com/velinhq/velin/engine/storage/s3/s3test"
)

// TestCheckClockSkew: a machine whose clock is an hour off (requests
// signed an hour back, s3test.SkewedClient) gets, from the real MinIO, a
// refusal that Check names as a clock problem with its fix,
// not as wrong credentials.
func TestCheckClockSkew(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	err := s3.ForBucket(srv.SkewedClient(-time.Hour), bucket).Check(context.Background())
	if !errors.Is(err, s3.ErrClockSkewed) || !strings.Contains(err.Error(), "set the clock right") ||
		!strings.Contains(err.Error(), "s3:"+bucket) {
		t.Fatalf("check with a clock an hour behind: %v; want %v naming the bucket and the fix", err, s3.ErrClockSkewed)
	}
	if err := s3.ForBucket(srv.SkewedClient(time.Minute), bucket).Check(context.Background()); err != nil {
		t.Errorf("check with a clock a minute ahead (within the server's tolerance): %v", err)
	}
}

// TestCheckWrongRegion: a bucket of another region is an error that names
// the bucket's region and says to set it, as S3 answers both ways. MinIO
// accepts any region: a fake server (s3test.AWSError) gives S3's answers.
func TestCheckWrongRegion(t *testing.T) {
	cases := []struct {
		name          string
		status        int
		code, message string
	}{
		{"PermanentRedirect", http.StatusMovedPermanently, "PermanentRedirect", s3test.MsgPermanentRedirect},
		{"AuthorizationHeaderMalformed", http.StatusBadRequest, "AuthorizationHeaderMalformed", s3test.MsgAuthorizationHeaderMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var header map[string]string // S3 says the bucket's region with a redirect
			if c.status == http.StatusMovedPermanently {
				header = map[string]string{"X-Amz-Bucket-Region": "eu-central-1"}
			}
			endpoint := s3test.AWSError(t, c.status, c.code, c.message, header)
			st, err := s3.New(context.Background(), s3.Options{Endpoint: endpoint, Bucket: "acme-backups", PathStyle: true,
				AccessKey: "AKIAEXAMPLE", SecretKey: "secret-example-key"})
			if err != nil {
				t.Fatal(err)
			}
			err = st.Check(context.Background())
			if !errors.Is(err, s3.ErrWrongRegion) || !strings.Contains(err.Error(), `set region = "eu-central-1"`) ||
				!strings.Contains(err.Error(), "s3:acme-backups") {
				t.Fatalf("check: %v; want %v naming the bucket and region eu-central-1", err, s3.ErrWrongRegion)
			}
		})
	}
}
