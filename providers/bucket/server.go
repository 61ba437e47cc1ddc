package bucket

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// serverInfoLimit bounds how much of MinIO's server information is read:
// a few kB per server of a deployment.
const serverInfoLimit = 1 << 20

// emptySHA256 is the payload hash of a request without a body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// serverVersion names the S3 server as far as it tells, for the manifest:
// the Server header of its answer to a HeadBucket of bucket ("AmazonS3",
// "MinIO"), and for MinIO its release from the admin API's server
// information ("MinIO RELEASE.2025-04-22T22-12-26Z") when the credentials
// may read it (admin:ServerInfo). "" when the server names itself not at
// all; no error: the version is a fact, not a condition of the backup.
func (s *Source) serverVersion(ctx context.Context, bucket string, opt ...func(*awss3.Options)) string {
	out, err := s.client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String(bucket)}, opt...)
	if err != nil {
		return ""
	}
	raw, ok := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response)
	if !ok {
		return ""
	}
	name := printable(strings.TrimSpace(raw.Header.Get("Server")))
	if name != "MinIO" || s.opts.Endpoint == "" {
		return name
	}
	if v := s.minioRelease(ctx); v != "" {
		return name + " " + v
	}
	return name
}

// minioRelease asks MinIO's admin API (GET /minio/admin/v3/info, signed
// like an S3 request) for the release of its first server; "" when it
// refuses or answers something else.
func (s *Source) minioRelease(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	o := s.client.Options()
	if o.Credentials == nil || o.HTTPClient == nil {
		return ""
	}
	creds, err := o.Credentials.Retrieve(ctx)
	if err != nil {
		return ""
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(s.opts.Endpoint, "/")+"/minio/admin/v3/info", nil)
	if err != nil {
		return ""
	}
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, emptySHA256, "s3", o.Region, time.Now()); err != nil {
		return ""
	}
	resp, err := o.HTTPClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	var info struct {
		Servers []struct {
			Version string `json:"version"`
		} `json:"servers"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, serverInfoLimit)).Decode(&info) != nil || len(info.Servers) == 0 {
		return ""
	}
	return printable(info.Servers[0].Version)
}

// printable keeps what a server says of itself out of the manifest and
// the terminal unless it is a short run of visible ASCII (spaces inside
// allowed): "" otherwise.
func printable(v string) string {
	if len(v) > 64 {
		return ""
	}
	for i := 0; i < len(v); i++ {
		if v[i] < ' ' || v[i] > '~' {
			return ""
		}
	}
	return v
}
