package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/velinhq/velin/engine/storage"
)

// MaxIdleConns is how many idle connections to the endpoint the client
// keeps for reuse (the SDK's default is 10): a restore has dozens of range
// reads in flight, and each one beyond the idle pool would pay a new
// connection (TCP and TLS handshakes: several round trips).
const MaxIdleConns = 64

// Defaults and limits of Options.
const (
	DefaultRegion      = "us-east-1"
	DefaultPartSize    = 16 << 20
	MinPartSize        = 5 << 20 // S3's minimum for all parts but the last
	DefaultMaxAttempts = 10
	maxParts           = 10_000 // S3's limit per multipart upload
	maxBackoff         = 20 * time.Second
)

// Options says where the repository is and how to reach it.
type Options struct {
	// Endpoint is the server's URL ("https://s3.eu-central-1.amazonaws.com",
	// "http://127.0.0.1:9000"); empty means AWS's endpoint for Region.
	Endpoint string
	Region   string // DefaultRegion when empty
	Bucket   string // required
	// Prefix is prepended to every object name ("velin/prod" stores
	// "keys/x" at "velin/prod/keys/x"); empty means the bucket's root.
	Prefix string
	// PathStyle addresses the bucket as ENDPOINT/BUCKET instead of
	// BUCKET.ENDPOINT (MinIO and most self-hosted servers need it).
	PathStyle bool
	// AccessKey and SecretKey (and SessionToken, optional) are static
	// credentials. Leave both empty to use the SDK's default chain
	// (environment, shared files with Profile, instance roles).
	AccessKey, SecretKey, SessionToken string
	Profile                            string
	// PartSize is the size of a multipart upload's parts (DefaultPartSize
	// when 0). An object of known size up to twice the part size (a pack
	// of the repository) is stored with a single request.
	PartSize int64
	// MaxAttempts bounds the attempts of one request, retries included
	// (DefaultMaxAttempts when 0).
	MaxAttempts int
}

// Storage is a storage.Storage in an S3 bucket.
type Storage struct {
	client   *awss3.Client
	bucket   string
	prefix   string // "" or "PREFIX/"
	location string
	partSize int64
	parts    sync.Pool // *[]byte of partSize, reused by Put
}

var _ storage.Storage = (*Storage)(nil)

// New returns a Storage for opts. It sends no request: Check tells whether
// the bucket can be reached.
func New(ctx context.Context, opts Options) (*Storage, error) {
	if opts.Bucket == "" {
		return nil, errors.New("s3 storage: no bucket given")
	}
	prefix, err := cleanPrefix(opts.Prefix)
	if err != nil {
		return nil, fmt.Errorf("s3 storage: %w", err)
	}
	client, err := NewClient(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("s3 storage: %w", err)
	}
	s := newStorage(client, opts.Bucket, opts.PartSize)
	s.prefix, s.location = prefix, opts.Location()
	return s, nil
}

// ForBucket returns a Storage of bucket (no prefix) on client, for the
// bucket source's PutObject; Location is "s3:BUCKET".
func ForBucket(client *awss3.Client, bucket string) *Storage {
	s := newStorage(client, bucket, 0)
	s.location = "s3:" + bucket
	return s
}

func newStorage(client *awss3.Client, bucket string, partSize int64) *Storage {
	s := &Storage{client: client, bucket: bucket, partSize: partSize}
	if s.partSize == 0 {
		s.partSize = DefaultPartSize
	}
	s.parts.New = func() any { b := make([]byte, s.partSize); return &b }
	return s
}

// NewClient returns an SDK client for opts (Bucket, Prefix and PartSize
// unused): the endpoint and region, path-style addressing, static
// credentials or the SDK's default chain, and the retryer of the storage.
// The bucket source shares it. It sends no request.
func NewClient(ctx context.Context, opts Options) (*awss3.Client, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts.configOptions()...)
	if err != nil {
		return nil, fmt.Errorf("load configuration: %w", err)
	}
	if c, ok := cfg.HTTPClient.(*awshttp.BuildableClient); ok { // keeps a CA bundle the config set
		cfg.HTTPClient = c.WithTransportOptions(func(t *http.Transport) { t.MaxIdleConnsPerHost = MaxIdleConns })
	}
	return awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		o.UsePathStyle = opts.PathStyle
		// A whole-object read of a multipart object has no checksum to
		// validate; the SDK would log that to stderr on every read.
		o.DisableLogOutputChecksumValidationSkipped = true
	}), nil
}

func (o Options) validate() error {
	switch {
	case (o.AccessKey == "") != (o.SecretKey == ""):
		return errors.New("give both an access key and a secret key, or neither (to use the SDK's default credential chain)")
	case o.PartSize != 0 && o.PartSize < MinPartSize:
		return fmt.Errorf("part size %d is below S3's minimum of %d bytes", o.PartSize, MinPartSize)
	case o.MaxAttempts < 0:
		return fmt.Errorf("max attempts %d is negative", o.MaxAttempts)
	}
	return CheckEndpoint(o.Endpoint)
}

// CheckEndpoint says whether endpoint is empty (AWS) or an http:// or
// https:// URL without credentials.
func CheckEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("endpoint %q is not an http:// or https:// URL without credentials", RedactURL(endpoint))
	}
	return nil
}

// DefaultPathStyle is the default of path-style addressing for endpoint:
// true for an IP address or localhost (MinIO and other self-hosted
// servers), false otherwise (AWS's virtual-hosted buckets).
func DefaultPathStyle(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Hostname() == "" {
		return false
	}
	host := u.Hostname()
	return host == "localhost" || net.ParseIP(host) != nil
}

func (o Options) configOptions() []func(*config.LoadOptions) error {
	region := o.Region
	if region == "" {
		region = DefaultRegion
	}
	attempts := o.MaxAttempts
	if attempts == 0 {
		attempts = DefaultMaxAttempts
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(region),
		config.WithRetryer(func() aws.Retryer { return newRetryer(attempts) }),
	}
	if o.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(o.AccessKey, o.SecretKey, o.SessionToken)))
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	return opts
}

// newRetryer is the SDK's standard retryer (exponential backoff with full
// jitter on throttling, 5xx, dropped connections) without its client-side
// retry quota, which would fail a long backup in a burst of errors,
// retrying S3's 409 for racing conditional writes, and retrying a response
// cut mid-stream (io.ErrUnexpectedEOF while decoding a listing or an error).
func newRetryer(attempts int) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.MaxBackoff = maxBackoff
		o.RateLimiter = ratelimit.None
		o.Retryables = append(o.Retryables, retry.RetryableErrorCode{
			Codes: map[string]struct{}{"ConditionalRequestConflict": {}},
		}, retry.IsErrorRetryableFunc(cutResponse))
	})
}

// cutResponse says a response whose body ended early is retryable.
func cutResponse(err error) aws.Ternary {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return aws.TrueTernary
	}
	return aws.UnknownTernary
}

// Location describes the bucket without secrets: "s3:BUCKET/PREFIX at
// ENDPOINT" (or "in REGION" for AWS), as Storage.Location does.
func (o Options) Location() string {
	where := "s3:" + o.Bucket
	if p := strings.Trim(o.Prefix, "/"); p != "" {
		where += "/" + p
	}
	if o.Endpoint != "" {
		return where + " at " + RedactURL(o.Endpoint)
	}
	region := o.Region
	if region == "" {
		region = DefaultRegion
	}
	return where + " in " + region
}

// RedactURL drops a URL's user information and query, which may hold
// secrets.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// Location describes the bucket and prefix (never credentials).
func (s *Storage) Location() string { return s.location }

// key returns the object key of a valid name.
func (s *Storage) key(name string) (string, error) {
	if err := storage.ValidateName(name); err != nil {
		return "", err
	}
	return s.prefix + name, nil
}

// begin checks a call's name and context before any request.
func (s *Storage) begin(ctx context.Context, op, name string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("%s %s: %w", op, name, err)
	}
	key, err := s.key(name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	return key, nil
}

// fail maps an SDK error to the storage's: a canceled context, "not found"
// (NoSuchKey, or a 404 without a code other than NoSuchBucket) and invalid
// ranges. Other errors are wrapped as they are.
func fail(ctx context.Context, op, name string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%s %s: %w (%v)", op, name, cerr, err)
	}
	status, code := statusCode(err)
	switch {
	case code == "NoSuchKey" || (status == 404 && code != "NoSuchBucket"):
		return fmt.Errorf("%s %s: %w", op, name, storage.ErrNotFound)
	case status == 416 || code == "InvalidRange":
		return fmt.Errorf("%s %s: %w", op, name, storage.ErrInvalidRange)
	}
	return fmt.Errorf("%s %s: %w", op, name, err)
}

// statusCode returns the HTTP status and the S3 error code of err, zero
// values where it has none.
func statusCode(err error) (int, string) {
	var status int
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var code string
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	return status, code
}

func isNotFound(err error) bool     { return errors.Is(err, storage.ErrNotFound) }
func isInvalidRange(err error) bool { return errors.Is(err, storage.ErrInvalidRange) }
