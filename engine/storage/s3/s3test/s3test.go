package s3test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/velinhq/velin/engine/storage/s3"
)

// Server is a running S3 server for tests.
type Server struct {
	Endpoint  string
	AccessKey string
	SecretKey string
}

// EnvFile is the path of the server's env file (VELIN_TEST_S3 or the
// default of scripts/minio.sh).
func EnvFile() string {
	if p := os.Getenv("VELIN_TEST_S3"); p != "" {
		return p
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = filepath.Join(os.TempDir(), "velin-cache")
	}
	return filepath.Join(dir, "velin", "minio-run", "env")
}

// Load returns the running server, or skips t (fails it with CI=true).
func Load(t testing.TB) Server {
	t.Helper()
	srv, err := readEnv(EnvFile())
	if err == nil {
		err = srv.ready()
	}
	if err != nil {
		msg := "MinIO is not available (" + err.Error() + "); start it with " +
			"`bash scripts/minio.sh install && bash scripts/minio.sh start`, or set VELIN_TEST_S3 to the env file of a running server"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: a missing server is a failure; .ci/run starts it)")
		}
		t.Skip(msg)
	}
	return srv
}

func readEnv(path string) (Server, error) {
	f, err := os.Open(path)
	if err != nil {
		return Server{}, fmt.Errorf("read env file: %w", err)
	}
	defer f.Close()
	vals := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			vals[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return Server{}, fmt.Errorf("read env file %s: %w", path, err)
	}
	srv := Server{vals["VELIN_S3_ENDPOINT"], vals["VELIN_S3_ACCESS_KEY"], vals["VELIN_S3_SECRET_KEY"]}
	if srv.Endpoint == "" || srv.AccessKey == "" || srv.SecretKey == "" {
		return Server{}, fmt.Errorf("env file %s lacks VELIN_S3_ENDPOINT, VELIN_S3_ACCESS_KEY or VELIN_S3_SECRET_KEY", path)
	}
	return srv, nil
}

// ready asks MinIO's health endpoint.
func (srv Server) ready() error {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(srv.Endpoint + "/minio/health/ready")
	if err != nil {
		return fmt.Errorf("server at %s: %w", srv.Endpoint, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("server at %s is not ready: %s", srv.Endpoint, resp.Status)
	}
	return nil
}

// Options returns storage options for srv's bucket, with path-style
// addressing and static credentials.
func (srv Server) Options(bucket, prefix string) s3.Options {
	return s3.Options{
		Endpoint:  srv.Endpoint,
		Region:    s3.DefaultRegion,
		Bucket:    bucket,
		Prefix:    prefix,
		PathStyle: true,
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
	}
}

// Client returns an SDK client with srv's root credentials.
func (srv Server) Client() *awss3.Client {
	return awss3.New(awss3.Options{
		BaseEndpoint: aws.String(srv.Endpoint),
		Region:       s3.DefaultRegion,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	})
}

// Bucket creates an empty bucket for t on the running server and returns
// the server and the bucket's name; the bucket and everything in it are
// removed when t ends.
func Bucket(t testing.TB) (Server, string) {
	t.Helper()
	srv := Load(t)
	name := BucketName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := srv.Client().CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("s3test: create bucket %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := srv.RemoveBucket(name); err != nil {
			t.Errorf("s3test: %v", err)
		}
	})
	return srv, name
}

// BucketName returns a fresh bucket name for t: "velin-t-…", lowercase
// letters, digits and dashes, at most 63 bytes.
func BucketName(t testing.TB) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	base := b.String()
	if len(base) > 36 {
		base = base[len(base)-36:]
	}
	var rnd [5]byte
	_, _ = rand.Read(rnd[:])
	return "velin-t-" + strings.Trim(base, "-") + "-" + hex.EncodeToString(rnd[:])
}

// RemoveBucket deletes every object and unfinished upload of a bucket,
// then the bucket.
func (srv Server) RemoveBucket(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := srv.Client()
	pages := awss3.NewListObjectsV2Paginator(c, &awss3.ListObjectsV2Input{Bucket: aws.String(name)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list bucket %s: %w", name, err)
		}
		for _, o := range page.Contents {
			if _, err := c.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(name), Key: o.Key}); err != nil {
				return fmt.Errorf("delete %s/%s: %w", name, aws.ToString(o.Key), err)
			}
		}
	}
	if err := abortUploads(ctx, c, name); err != nil {
		return err
	}
	if _, err := c.DeleteBucket(ctx, &awss3.DeleteBucketInput{Bucket: aws.String(name)}); err != nil {
		var nb *types.NoSuchBucket
		if !errors.As(err, &nb) {
			return fmt.Errorf("delete bucket %s: %w", name, err)
		}
	}
	return nil
}

// Uploads returns the keys of a bucket's unfinished multipart uploads.
func (srv Server) Uploads(name string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := srv.Client().ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("list uploads of %s: %w", name, err)
	}
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	return keys, nil
}

func abortUploads(ctx context.Context, c *awss3.Client, name string) error {
	out, err := c.ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: aws.String(name)})
	if err != nil {
		return fmt.Errorf("list uploads of %s: %w", name, err)
	}
	for _, u := range out.Uploads {
		_, err := c.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{Bucket: aws.String(name), Key: u.Key, UploadId: u.UploadId})
		if err != nil {
			return fmt.Errorf("abort upload of %s/%s: %w", name, aws.ToString(u.Key), err)
		}
	}
	return nil
}
