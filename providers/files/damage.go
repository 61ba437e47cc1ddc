package files

import (
	"context"
	"errors"
	"io"

	"github.com/velinhq/velin/providers/provider"
)

// damaged wraps an error reading a file's content from the snapshot (a
// missing or corrupt blob), as opposed to writing it at the destination:
// a restore leaves that one file out and goes on with the others.
type damaged struct{ err error }

func (d damaged) Error() string { return d.err.Error() }
func (d damaged) Unwrap() error { return d.err }

func isDamage(err error) bool {
	var d damaged
	return errors.As(err, &d)
}

// openSnapshot opens e's content in tree; every error reading it is
// damaged.
func openSnapshot(ctx context.Context, tree provider.Tree, e provider.Entry) (io.ReadCloser, error) {
	rc, err := tree.Open(ctx, e)
	if err != nil {
		return nil, damaged{err}
	}
	return snapshotReader{rc}, nil
}

type snapshotReader struct{ io.ReadCloser }

func (r snapshotReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = damaged{err}
	}
	return n, err
}
