package s3_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/s3"
	"github.com/velinhq/velin/engine/storage/s3/s3test"
)

func TestOptionsRejected(t *testing.T) {
	cases := []struct {
		opts s3.Options
		want string
	}{
		{s3.Options{}, "no bucket"},
		{s3.Options{Bucket: "b", AccessKey: "a"}, "both an access key and a secret key"},
		{s3.Options{Bucket: "b", SecretKey: "hidden-secret"}, "both an access key and a secret key"},
		{s3.Options{Bucket: "b", Endpoint: "ftp://x"}, "not an http:// or https:// URL"},
		{s3.Options{Bucket: "b", Endpoint: "https://user:hidden-secret@x"}, "without credentials"},
		{s3.Options{Bucket: "b", PartSize: 1 << 20}, "below S3's minimum"},
		{s3.Options{Bucket: "b", Prefix: "a/../b"}, `"." or ".." segment`},
	}
	for _, c := range cases {
		_, err := s3.New(context.Background(), c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error saying %q", c.opts, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "hidden-secret") {
			t.Errorf("error shows a secret: %v", err)
		}
	}
}

func TestLocationWithoutEndpoint(t *testing.T) {
	s, err := s3.New(context.Background(), s3.Options{Bucket: "acme", Prefix: "/velin/prod/", Region: "eu-central-1", AccessKey: "AK", SecretKey: "hidden-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Location(); got != "s3:acme/velin/prod in eu-central-1" {
		t.Errorf("Location() = %q", got)
	}
}

// TestServerErrorsAreNotNotFound checks that a missing bucket and wrong
// credentials are errors of their own, never "object not found" (which
// would make the repository look empty).
func TestServerErrorsAreNotNotFound(t *testing.T) {
	srv := s3test.Load(t)
	wrong := srv.Options(s3test.BucketName(t), "")
	_, bucket := s3test.Bucket(t)
	badKey := srv.Options(bucket, "")
	badKey.SecretKey = "wrong-" + srv.SecretKey[:4]
	for what, opts := range map[string]s3.Options{"missing bucket": wrong, "wrong secret key": badKey} {
		opts.MaxAttempts = 1
		s, err := s3.New(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Get(context.Background(), "config")
		if err == nil || errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Get with a %s: %v, want an error other than ErrNotFound", what, err)
		}
		err = s.List(context.Background(), "", func(storage.ObjectInfo) error { return nil })
		if err == nil {
			t.Errorf("List with a %s succeeded", what)
		}
	}
}

// TestClientKeepsIdleConnections: the client keeps MaxIdleConns idle
// connections to the endpoint, not the SDK's 10, so that a restore's
// range reads in flight reuse their connections.
func TestClientKeepsIdleConnections(t *testing.T) {
	c, err := s3.NewClient(context.Background(), s3.Options{Endpoint: "http://127.0.0.1:9", Bucket: "b", AccessKey: "a", SecretKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	bc, ok := c.Options().HTTPClient.(*awshttp.BuildableClient)
	if !ok {
		t.Fatalf("HTTP client is a %T, want the SDK's buildable client", c.Options().HTTPClient)
	}
	if got := bc.GetTransport().MaxIdleConnsPerHost; got != s3.MaxIdleConns {
		t.Errorf("idle connections per host: %d, want %d", got, s3.MaxIdleConns)
	}
}
