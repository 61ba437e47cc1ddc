package s3

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/velinhq/velin/engine/storage"
)

// Get opens the whole object; the caller closes it. A body cut
// mid-stream is resumed (see resumer), never returned short.
func (s *Storage) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	key, err := s.begin(ctx, "get", name)
	if err != nil {
		return nil, err
	}
	in := awss3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}
	out, err := s.client.GetObject(ctx, &in)
	if err != nil {
		return nil, fail(ctx, "get", name, err)
	}
	return s.newResumer(ctx, name, in, out, 0), nil
}

// GetRange opens length bytes at offset (see storage.Storage). A range S3
// refuses (416) is looked at again with a Stat: an offset equal to the size
// gives an empty reader, as does a length of 0 within the object.
func (s *Storage) GetRange(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	key, err := s.begin(ctx, "get range of", name)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("get range of %s: offset %d: %w", name, offset, storage.ErrInvalidRange)
	}
	if length == 0 {
		return s.emptyRange(ctx, name, offset)
	}
	rng := "bytes=" + strconv.FormatInt(offset, 10) + "-"
	if length > 0 {
		rng += strconv.FormatInt(offset+length-1, 10)
	}
	in := awss3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key), Range: aws.String(rng)}
	out, err := s.client.GetObject(ctx, &in)
	if err != nil {
		err = fail(ctx, "get range of", name, err)
		if isInvalidRange(err) {
			return s.emptyRange(ctx, name, offset)
		}
		return nil, err
	}
	return s.newResumer(ctx, name, in, out, offset), nil
}

// emptyRange returns an empty reader when offset is within the object or
// at its end, ErrInvalidRange past the end.
func (s *Storage) emptyRange(ctx context.Context, name string, offset int64) (io.ReadCloser, error) {
	oi, err := s.Stat(ctx, name)
	if err != nil {
		return nil, err
	}
	if offset > oi.Size {
		return nil, fmt.Errorf("get range of %s: offset %d past the end (%d bytes): %w", name, offset, oi.Size, storage.ErrInvalidRange)
	}
	return io.NopCloser(strings.NewReader("")), nil
}

// Stat describes one object.
func (s *Storage) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	key, err := s.begin(ctx, "stat", name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	out, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return storage.ObjectInfo{}, fail(ctx, "stat", name, err)
	}
	return info(name, aws.ToInt64(out.ContentLength), out.LastModified, out.ETag), nil
}

// info builds an ObjectInfo. S3 gives LastModified to the millisecond in
// listings and to the second in HEAD responses: both are cut to the second
// so they agree. ETags lose their quotes.
func info(name string, size int64, mtime *time.Time, etag *string) storage.ObjectInfo {
	return storage.ObjectInfo{
		Name:    name,
		Size:    size,
		ModTime: aws.ToTime(mtime).Truncate(time.Second).UTC(),
		ETag:    strings.Trim(aws.ToString(etag), `"`),
	}
}

// List calls fn for every object whose name starts with prefix, a page of
// ListObjectsV2 (up to 1000 keys) at a time.
func (s *Storage) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	pages := awss3.NewListObjectsV2Paginator(s.client, &awss3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(s.prefix + prefix),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fail(ctx, "list", prefix, err)
		}
		for _, o := range page.Contents {
			name := strings.TrimPrefix(aws.ToString(o.Key), s.prefix)
			if err := fn(info(name, aws.ToInt64(o.Size), o.LastModified, o.ETag)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Delete removes an object; a missing one is no error.
func (s *Storage) Delete(ctx context.Context, name string) error {
	key, err := s.begin(ctx, "delete", name)
	if err != nil {
		return err
	}
	_, err = s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		if err = fail(ctx, "delete", name, err); isNotFound(err) {
			return nil
		}
		return err
	}
	return nil
}
