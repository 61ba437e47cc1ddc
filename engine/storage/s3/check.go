package s3

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// Errors of Check, each wrapped with what to do about it.
var (
	ErrNoBucket     = errors.New("bucket does not exist")
	ErrAccessDenied = errors.New("access denied")
	ErrUnreachable  = errors.New("endpoint unreachable")
	ErrWrongRegion  = errors.New("wrong region")
	ErrClockSkewed  = errors.New("clock skewed")
)

// expectingRegion finds the bucket's region in the message of an
// AuthorizationHeaderMalformed error ("… the region 'us-east-1' is wrong;
// expecting 'eu-central-1'").
var expectingRegion = regexp.MustCompile(`expecting '([a-z0-9-]+)'`)

// checkAttempts bounds Check's retries: a wrong endpoint is reported in
// seconds, not after a backup's patience.
const checkAttempts = 3

// Check asks the server for the bucket (HeadBucket) and turns the usual
// setup mistakes into errors that say what to fix: a missing bucket,
// credentials the server refuses, a wrong region, a skewed clock, an
// endpoint that cannot be reached. The answer to a HEAD has no body, so
// no error code: a refusal (other than 404) is asked again with a GET
// (ListObjectsV2 of one key), whose error document says why.
func (s *Storage) Check(ctx context.Context) error {
	few := func(o *awss3.Options) { o.Retryer = retry.AddWithMaxAttempts(o.Retryer, checkAttempts) }
	_, err := s.client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String(s.bucket)}, few)
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("check %s: %w", s.location, cerr)
	}
	if status, _ := statusCode(err); status >= 300 && status != 404 { // the SDK names it after the status alone
		_, gerr := s.client.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String(s.bucket),
			Prefix: aws.String(s.prefix), MaxKeys: aws.Int32(1)}, few)
		if gstatus, _ := statusCode(gerr); gstatus != 0 {
			err = gerr
		}
	}
	return fmt.Errorf("check %w", Explain(s.location, s.bucket, err))
}

// Explain maps the error of a request about bucket to the usual setup
// mistakes, each with its fix: ErrNoBucket, ErrClockSkewed,
// ErrWrongRegion, ErrAccessDenied (a refusal without a more precise
// code), ErrUnreachable. where names what was asked ("s3:BUCKET at
// ENDPOINT") and starts the message; other errors are wrapped as they
// are.
func Explain(where, bucket string, err error) error {
	status, code := statusCode(err)
	var nerr net.Error
	switch {
	case code == "NoSuchBucket" || (status == 404 && code != "NoSuchKey"):
		return fmt.Errorf("%s: %w: create bucket %q (for MinIO: mc mb ALIAS/%s) or fix the bucket name", where, ErrNoBucket, bucket, bucket)
	case code == "RequestTimeTooSkewed":
		return fmt.Errorf("%s: %w: the server refuses requests signed with this machine's time, more than 15 minutes off its own (%s): set the clock right (NTP, e.g. timedatectl set-ntp true)",
			where, ErrClockSkewed, code)
	case status == 301 || code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" ||
		code == "IllegalLocationConstraintException":
		return wrongRegion(where, status, code, err)
	case status == 403 || code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch":
		return fmt.Errorf("%s: %w (HTTP %d): check access_key and secret_key (or the credentials of the SDK's chain), the region, and the clock", where, ErrAccessDenied, status)
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

// wrongRegion is the error of a request sent to the wrong region, naming
// the bucket's region when the server told it (the x-amz-bucket-region
// header, or the message of AuthorizationHeaderMalformed).
func wrongRegion(where string, status int, code string, err error) error {
	region := ""
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		region = re.Response.Header.Get("X-Amz-Bucket-Region")
	}
	var ae smithy.APIError
	if region == "" && errors.As(err, &ae) {
		if m := expectingRegion.FindStringSubmatch(ae.ErrorMessage()); m != nil {
			region = m[1]
		}
	}
	why := fmt.Sprintf("HTTP %d", status)
	if code != "" {
		why += " " + code
	}
	if region == "" {
		return fmt.Errorf("%s: %w: the bucket is in another region (%s): set region to the bucket's region", where, ErrWrongRegion, why)
	}
	return fmt.Errorf("%s: %w: the bucket is in region %s (%s): set region = %q", where, ErrWrongRegion, region, why, region)
}
