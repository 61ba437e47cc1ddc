package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/velinhq/velin/engine/storage"
)

// ErrSizeMismatch is wrapped by Put's error when the reader yields another
// number of bytes than announced.
var ErrSizeMismatch = errors.New("size mismatch")

// abortTimeout bounds the cleanup of a failed multipart upload, which runs
// even when the Put's context is canceled.
const abortTimeout = 30 * time.Second

// Put stores r under name: one PutObject when the size is known and at
// most twice the part size, or unknown and below the part size; a
// multipart upload otherwise. See storage.Storage.
func (s *Storage) Put(ctx context.Context, name string, r io.Reader, size int64, opts storage.PutOptions) error {
	key, err := s.begin(ctx, "put", name)
	if err != nil {
		return err
	}
	return s.put(ctx, name, key, r, size, opts, nil)
}

// Head is what an object carries besides its content: the headers and
// user metadata S3 returns with it, and its tags (URL query form
// "a=1&b=2"). The bucket source restores objects with it.
type Head struct {
	ContentType, ContentEncoding, ContentDisposition, ContentLanguage, CacheControl string

	Metadata map[string]string
	Tagging  string
}

// PutObject stores r (size bytes, or -1 when unknown) at key of the
// storage's bucket, outside any prefix and under any key S3 accepts, with
// head; memory stays bounded as with Put. Buckets of the bucket source
// are written with it.
func (s *Storage) PutObject(ctx context.Context, key string, head Head, r io.Reader, size int64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return s.put(ctx, key, key, r, size, storage.PutOptions{}, &head)
}

// put stores r at key; name is what errors call it.
func (s *Storage) put(ctx context.Context, name, key string, r io.Reader, size int64, opts storage.PutOptions, head *Head) error {
	if size >= 0 && size <= 2*s.partSize {
		// One byte more than announced shows a reader that is too long.
		buf := make([]byte, size+1)
		n, err := readPart(r, buf)
		if err != nil {
			return fmt.Errorf("put %s: read: %w", name, err)
		}
		if int64(n) != size {
			return fmt.Errorf("put %s: %w: read %d or more bytes, announced %d", name, ErrSizeMismatch, n, size)
		}
		return s.putObject(ctx, name, key, buf[:n], opts, head)
	}
	bp := s.parts.Get().(*[]byte)
	defer s.parts.Put(bp)
	buf := *bp
	if size > int64(len(buf))*maxParts {
		buf = make([]byte, (size+maxParts-1)/maxParts)
	}
	n, err := readPart(r, buf)
	if err != nil {
		return fmt.Errorf("put %s: read: %w", name, err)
	}
	if size < 0 && n < len(buf) {
		return s.putObject(ctx, name, key, buf[:n], opts, head)
	}
	return s.multipart(ctx, name, key, r, buf, n, size, opts, head)
}

// readPart fills buf from r and returns how much it read; a short count
// means r reached EOF. Other errors are r's.
func readPart(r io.Reader, buf []byte) (int, error) {
	n, err := io.ReadFull(r, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return n, err
}

func (s *Storage) putObject(ctx context.Context, name, key string, data []byte, opts storage.PutOptions, head *Head) error {
	in := &awss3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	}
	if head != nil {
		in.ContentType, in.ContentEncoding = optional(head.ContentType), optional(head.ContentEncoding)
		in.ContentDisposition, in.ContentLanguage = optional(head.ContentDisposition), optional(head.ContentLanguage)
		in.CacheControl, in.Tagging, in.Metadata = optional(head.CacheControl), optional(head.Tagging), head.Metadata
	}
	if opts.IfAbsent {
		in.IfNoneMatch = aws.String("*")
	}
	if _, err := s.client.PutObject(ctx, in, bodyOptions(head == nil)...); err != nil {
		return putFail(ctx, name, err)
	}
	return nil
}

// putFail maps S3's 412 (a conditional write lost) to storage.ErrExists.
func putFail(ctx context.Context, name string, err error) error {
	if status, code := statusCode(err); ctx.Err() == nil && (status == 412 || code == "PreconditionFailed") {
		return fmt.Errorf("put %s: %w", name, storage.ErrExists)
	}
	return fail(ctx, "put", name, err)
}

// multipart uploads buf[:n] and the rest of r in parts of len(buf) bytes,
// and completes the upload only when all of it arrived with the announced
// size (-1: any); otherwise the upload is aborted and nothing is stored.
func (s *Storage) multipart(ctx context.Context, name, key string, r io.Reader, buf []byte, n int, size int64, opts storage.PutOptions, head *Head) (err error) {
	in := &awss3.CreateMultipartUploadInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(key),
	}
	if head != nil {
		in.ContentType, in.ContentEncoding = optional(head.ContentType), optional(head.ContentEncoding)
		in.ContentDisposition, in.ContentLanguage = optional(head.ContentDisposition), optional(head.ContentLanguage)
		in.CacheControl, in.Tagging, in.Metadata = optional(head.CacheControl), optional(head.Tagging), head.Metadata
	}
	created, err := s.client.CreateMultipartUpload(ctx, in)
	if err != nil {
		return fail(ctx, "put", name, err)
	}
	up := upload{s: s, name: name, key: key, id: created.UploadId, sealed: head == nil}
	defer func() {
		if err != nil {
			up.abort(ctx)
		}
	}()
	var total int64
	for n > 0 {
		total += int64(n)
		if size >= 0 && total > size {
			return fmt.Errorf("put %s: %w: read %d or more bytes, announced %d", name, ErrSizeMismatch, total, size)
		}
		if err := up.part(ctx, buf[:n]); err != nil {
			return err
		}
		if n < len(buf) {
			break
		}
		if n, err = readPart(r, buf); err != nil {
			return fmt.Errorf("put %s: read: %w", name, err)
		}
	}
	if size >= 0 && total != size {
		return fmt.Errorf("put %s: %w: read %d bytes, announced %d", name, ErrSizeMismatch, total, size)
	}
	return up.complete(ctx, opts)
}

// upload is a multipart upload in progress.
type upload struct {
	s         *Storage
	name, key string
	id        *string
	parts     []types.CompletedPart
	sealed    bool // a repository object (see unsignedBody)
}

func (u *upload) part(ctx context.Context, data []byte) error {
	num := int32(len(u.parts) + 1)
	if num > maxParts {
		return fmt.Errorf("put %s: more than %d parts of %d bytes: raise the part size", u.name, maxParts, len(data))
	}
	out, err := u.s.client.UploadPart(ctx, &awss3.UploadPartInput{
		Bucket:        aws.String(u.s.bucket),
		Key:           aws.String(u.key),
		UploadId:      u.id,
		PartNumber:    aws.Int32(num),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	}, bodyOptions(u.sealed)...)
	if err != nil {
		return fail(ctx, "put", u.name, err)
	}
	u.parts = append(u.parts, types.CompletedPart{
		ETag:           out.ETag,
		PartNumber:     aws.Int32(num),
		ChecksumCRC32:  out.ChecksumCRC32,
		ChecksumCRC32C: out.ChecksumCRC32C,
		ChecksumSHA1:   out.ChecksumSHA1,
		ChecksumSHA256: out.ChecksumSHA256,
	})
	return nil
}

func (u *upload) complete(ctx context.Context, opts storage.PutOptions) error {
	in := &awss3.CompleteMultipartUploadInput{
		Bucket:          aws.String(u.s.bucket),
		Key:             aws.String(u.key),
		UploadId:        u.id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: u.parts},
	}
	if opts.IfAbsent {
		in.IfNoneMatch = aws.String("*")
	}
	if _, err := u.s.client.CompleteMultipartUpload(ctx, in); err != nil {
		return putFail(ctx, u.name, err)
	}
	return nil
}

// abort discards the parts, even when the Put was canceled. A failed abort
// leaves parts that the bucket's lifecycle rule for incomplete uploads
// removes (docs/design.md); it is not reported over the Put's own error.
func (u *upload) abort(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	_, _ = u.s.client.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{
		Bucket:   aws.String(u.s.bucket),
		Key:      aws.String(u.key),
		UploadId: u.id,
	})
}

// optional is nil for "" (header not sent), else a pointer to v.
func optional(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}
