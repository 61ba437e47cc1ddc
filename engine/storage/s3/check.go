package s3

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// Errors of Check, each wrapped with what to do about it.
var (
	ErrNoBucket     = errors.New("bucket does not exist")
	ErrAccessDenied = errors.New("access denied")
	ErrUnreachable  = errors.New("endpoint unreachable")
)

// checkAttempts bounds Check's retries: a wrong endpoint is reported in
// seconds, not after a backup's patience.
const checkAttempts = 3

// Check asks the server for the bucket (HeadBucket) and turns the usual
// setup mistakes into errors that say what to fix: a missing bucket,
// credentials the server refuses (or a wrong region), an endpoint that
// cannot be reached.
func (s *Storage) Check(ctx context.Context) error {
	_, err := s.client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String(s.bucket)}, func(o *awss3.Options) {
		o.Retryer = retry.AddWithMaxAttempts(o.Retryer, checkAttempts)
	})
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("check %s: %w", s.location, cerr)
	}
	return fmt.Errorf("check %w", Explain(s.location, s.bucket, err))
}

// Explain maps the error of a request about bucket to the usual setup
// mistakes, each with its fix: ErrNoBucket, ErrAccessDenied (or a wrong
// region, or a skewed clock), ErrUnreachable. where names what was asked
// ("s3:BUCKET at ENDPOINT") and starts the message; other errors are
// wrapped as they are.
func Explain(where, bucket string, err error) error {
	status, code := statusCode(err)
	var nerr net.Error
	switch {
	case code == "NoSuchBucket" || (status == 404 && code != "NoSuchKey"):
		return fmt.Errorf("%s: %w: create bucket %q (for MinIO: mc mb ALIAS/%s) or fix the bucket name", where, ErrNoBucket, bucket, bucket)
	case status == 403 || code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch":
		return fmt.Errorf("%s: %w (HTTP %d): check access_key and secret_key (or the credentials of the SDK's chain), the region, and the clock", where, ErrAccessDenied, status)
	case status == 301 || code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed":
		return fmt.Errorf("%s: the bucket is in another region (HTTP %d): set region to the bucket's region", where, status)
	case status == 0 && errors.As(err, &nerr):
		return fmt.Errorf("%s: %w (%v): check endpoint and that the server is running", where, ErrUnreachable, netCause(nerr))
	}
	return fmt.Errorf("%s: %w", where, err)
}

// netCause is the innermost network error ("dial tcp …: connection
// refused") without the SDK's wrapping.
func netCause(err net.Error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe
	}
	return err
}
