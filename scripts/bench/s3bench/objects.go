package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// clientFromEnv returns a path-style client of the server named by
// VELIN_S3_ENDPOINT with the credentials of VELIN_S3_ACCESS_KEY and
// VELIN_S3_SECRET_KEY.
func clientFromEnv() (*awss3.Client, error) {
	endpoint, ak, sk := os.Getenv("VELIN_S3_ENDPOINT"), os.Getenv("VELIN_S3_ACCESS_KEY"), os.Getenv("VELIN_S3_SECRET_KEY")
	if endpoint == "" || ak == "" || sk == "" {
		return nil, errors.New("set VELIN_S3_ENDPOINT, VELIN_S3_ACCESS_KEY and VELIN_S3_SECRET_KEY (source scripts/minio.sh's env file)")
	}
	return awss3.New(awss3.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       "us-east-1",
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(ak, sk, ""),
	}), nil
}

// makeBuckets creates each bucket; one that exists already is fine.
func makeBuckets(ctx context.Context, c *awss3.Client, buckets []string) error {
	for _, b := range buckets {
		_, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(b)})
		var owned *types.BucketAlreadyOwnedByYou
		if err != nil && !errors.As(err, &owned) {
			return fmt.Errorf("mb %s: %w", b, err)
		}
	}
	return nil
}

// object is one listed object.
type object struct {
	Key  string
	Size int64
	ETag string
}

// list returns the objects of BUCKET[/PREFIX] in key order.
func list(ctx context.Context, c *awss3.Client, spec string) ([]object, error) {
	bucket, prefix, _ := strings.Cut(spec, "/")
	in := &awss3.ListObjectsV2Input{Bucket: aws.String(bucket)}
	if prefix != "" {
		in.Prefix = aws.String(strings.TrimSuffix(prefix, "/") + "/")
	}
	var out []object
	pages := awss3.NewListObjectsV2Paginator(c, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", spec, err)
		}
		for _, o := range page.Contents {
			out = append(out, object{aws.ToString(o.Key), aws.ToInt64(o.Size), strings.Trim(aws.ToString(o.ETag), `"`)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// listObjects prints "BUCKET/KEY SIZE ETAG" per object: two listings are
// equal when the objects have the same keys, sizes and contents (the
// ETag of a single-part upload is the MD5 of its content).
func listObjects(ctx context.Context, c *awss3.Client, specs []string, w io.Writer) error {
	for _, spec := range specs {
		objs, err := list(ctx, c, spec)
		if err != nil {
			return err
		}
		bucket, _, _ := strings.Cut(spec, "/")
		for _, o := range objs {
			fmt.Fprintf(w, "%s/%s\t%d\t%s\n", bucket, o.Key, o.Size, o.ETag)
		}
	}
	return nil
}

// printSize prints "OBJECTS BYTES" summed over the specs.
func printSize(ctx context.Context, c *awss3.Client, specs []string, w io.Writer) error {
	var n, total int64
	for _, spec := range specs {
		objs, err := list(ctx, c, spec)
		if err != nil {
			return err
		}
		for _, o := range objs {
			n++
			total += o.Size
		}
	}
	_, err := fmt.Fprintf(w, "%d %d\n", n, total)
	return err
}

// purgeBuckets deletes every object of each bucket, then the bucket; a
// bucket that does not exist is fine.
func purgeBuckets(ctx context.Context, c *awss3.Client, buckets []string) error {
	for _, b := range buckets {
		objs, err := list(ctx, c, b)
		if isNoSuchBucket(err) {
			continue
		}
		if err != nil {
			return err
		}
		for start := 0; start < len(objs); start += 1000 {
			batch := objs[start:min(start+1000, len(objs))]
			ids := make([]types.ObjectIdentifier, len(batch))
			for i, o := range batch {
				ids[i] = types.ObjectIdentifier{Key: aws.String(o.Key)}
			}
			_, err := c.DeleteObjects(ctx, &awss3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
			if err != nil {
				return fmt.Errorf("purge %s: %w", b, err)
			}
		}
		if _, err := c.DeleteBucket(ctx, &awss3.DeleteBucketInput{Bucket: aws.String(b)}); err != nil {
			return fmt.Errorf("purge %s: %w", b, err)
		}
	}
	return nil
}

func isNoSuchBucket(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "NoSuchBucket"
}
