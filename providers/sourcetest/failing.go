package sourcetest

import (
	"context"
	"errors"
	"io"

	"github.com/velinhq/velin/providers/provider"
)

// errInjected is the error failingTree's content readers fail with.
var errInjected = errors.New("sourcetest: injected read failure half-way through the content")

// failingTree is a Tree whose file contents fail after half their bytes,
// as a damaged snapshot or a lost connection to the repository does.
type failingTree struct{ provider.Tree }

func (f failingTree) Open(ctx context.Context, e provider.Entry) (io.ReadCloser, error) {
	rc, err := f.Tree.Open(ctx, e)
	if err != nil {
		return nil, err
	}
	return &failingReader{rc: rc, left: e.Size / 2}, nil
}

type failingReader struct {
	rc   io.ReadCloser
	left int64
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, errInjected
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.rc.Read(p)
	r.left -= int64(n)
	if err == io.EOF {
		return n, errInjected
	}
	return n, err
}

func (r *failingReader) Close() error { return r.rc.Close() }
