package s3test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/velinhq/velin/engine/storage/s3"
)

// skewedSigner signs requests as a machine whose clock is off by skew
// would. The SDK's clock skew correction compares the server's Date
// header with the real clock, so it does not undo this.
type skewedSigner struct {
	v4   *v4.Signer
	skew time.Duration
}

func (s skewedSigner) SignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string,
	at time.Time, opts ...func(*v4.SignerOptions)) error {
	return s.v4.SignHTTP(ctx, creds, r, payloadHash, service, region, at.Add(s.skew), opts...)
}

// SkewedClient returns a client of srv with its root credentials whose
// requests are signed with a clock skew off, as from a machine whose
// clock is wrong. Nothing else is faked: the real server judges the
// request time.
func (srv Server) SkewedClient(skew time.Duration) *awss3.Client {
	return awss3.New(awss3.Options{
		BaseEndpoint: aws.String(srv.Endpoint),
		Region:       s3.DefaultRegion,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
		HTTPSignerV4: skewedSigner{v4: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }), skew: skew},
	})
}

// AWSError starts a server that answers every request as Amazon S3
// answers a refused one, and returns its URL: status with, for a GET, the
// error document of code and message (a HEAD has no body); header is
// added to each answer. It injects one fault MinIO cannot show (MinIO
// accepts any region) and serves nothing else. It stops when t ends.
func AWSError(t testing.TB, status int, code, message string, header map[string]string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>` + code + `</Code><Message>` + message + `</Message>` +
				`<RequestId>0F5FWA0Z3TX9Q6ZN</RequestId><HostId>x+y/z=</HostId></Error>`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Messages of AWS errors, as Amazon S3 words them.
const (
	MsgPermanentRedirect = "The bucket you are attempting to access must be addressed using the specified endpoint. " +
		"Please send all future requests to this endpoint."
	MsgAuthorizationHeaderMalformed = "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'"
	MsgRequestTimeTooSkewed         = "The difference between the request time and the current time is too large."
)
