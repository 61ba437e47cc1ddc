package s3

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// maxResumes bounds how often in a row one reader asks again for the rest
// of its object after the connection failed mid-stream without a byte
// having come since the last time (a resume that brought data starts the
// count again, so a long object over a flaky link still arrives whole).
const maxResumes = 5

// resumer reads the body of a GET. When the body fails mid-stream (a
// dropped connection; net/http reports a body shorter than its
// Content-Length as io.ErrUnexpectedEOF), it asks for the rest with a range
// request pinned to the object's ETag, so a reader never sees short data
// nor bytes of another version of the object. A body that ends early
// without an error is treated the same way.
type resumer struct {
	ctx     context.Context
	s       *Storage
	name    string
	in      awss3.GetObjectInput
	body    io.ReadCloser
	pos     int64 // offset in the object of the next byte
	end     int64 // offset past the last byte wanted
	resumes int   // resumes in a row that brought no byte
	since   int64 // pos at the last resume
}

// newResumer wraps out, the answer to in, which starts at offset.
func (s *Storage) newResumer(ctx context.Context, name string, in awss3.GetObjectInput, out *awss3.GetObjectOutput, offset int64) io.ReadCloser {
	if out.ContentLength == nil {
		return out.Body // no length to check against nor to resume to
	}
	in.IfMatch = out.ETag
	return &resumer{ctx: ctx, s: s, name: name, in: in, body: out.Body,
		pos: offset, end: offset + aws.ToInt64(out.ContentLength)}
}

func (r *resumer) Read(p []byte) (int, error) {
	for {
		n, err := r.body.Read(p)
		r.pos += int64(n)
		if err == nil || (err == io.EOF && r.pos >= r.end) {
			return n, err
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if rerr := r.resume(err); rerr != nil {
			return n, rerr
		}
		if n > 0 {
			return n, nil
		}
	}
}

// resume replaces the failed body with a range request for the rest.
func (r *resumer) resume(cause error) error {
	if r.pos > r.since {
		r.resumes = 0 // the last body brought data
	}
	if r.ctx.Err() != nil || r.resumes >= maxResumes {
		return fmt.Errorf("read %s at offset %d: %w", r.name, r.pos, cause)
	}
	r.resumes++
	r.since = r.pos
	_ = r.body.Close()
	r.body = io.NopCloser(errReader{cause})
	in := r.in
	in.Range = aws.String("bytes=" + strconv.FormatInt(r.pos, 10) + "-" + strconv.FormatInt(r.end-1, 10))
	out, err := r.s.client.GetObject(r.ctx, &in)
	if err != nil {
		return fmt.Errorf("read %s at offset %d: %w (resuming after %v)", r.name, r.pos, fail(r.ctx, "get", r.name, err), cause)
	}
	if got := aws.ToInt64(out.ContentLength); got != r.end-r.pos {
		out.Body.Close()
		return fmt.Errorf("read %s at offset %d: the server sent %d bytes for the %d left", r.name, r.pos, got, r.end-r.pos)
	}
	r.body = out.Body
	return nil
}

func (r *resumer) Close() error { return r.body.Close() }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
