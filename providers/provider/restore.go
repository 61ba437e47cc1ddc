package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Filterable is implemented by sources whose restore honours
// RestoreOptions.Include (file trees). The engine never restores a source
// that cannot filter when the user asked for an Include: it would replace
// the whole source instead of the few paths asked for.
type Filterable interface {
	CanFilter() bool
}

// Flushable is implemented by sources whose restore honours
// RestoreOptions.Flush (redis). The configuration refuses a restore block
// with flush over a source that is not.
type Flushable interface {
	CanFlush() bool
}

// GlobalsRestorer is implemented by sources whose restore honours
// RestoreOptions.Globals (postgres). The configuration refuses a restore
// block with globals over a source that is not.
type GlobalsRestorer interface {
	CanRestoreGlobals() bool
}

// NoMatchError is the error of PlanRestore when RestoreOptions.Include
// matches no entry of the tree. Top lists the tree's top-level entries, to
// help the user write a pattern that does.
type NoMatchError struct {
	Include []string
	Top     []string
}

func (e *NoMatchError) Error() string {
	return fmt.Sprintf("--include %s matches nothing; the top-level entries are %s",
		strings.Join(e.Include, " "), strings.Join(e.Top, ", "))
}

// SameContent says whether r holds exactly the content of the file entry e
// of tree. Any error (damaged snapshot data, a failing read) says no.
func SameContent(ctx context.Context, tree Tree, e Entry, r io.Reader) bool {
	if e.Size == 0 {
		n, err := r.Read(make([]byte, 1))
		return n == 0 && errors.Is(err, io.EOF)
	}
	rc, err := tree.Open(ctx, e)
	if err != nil {
		return false
	}
	defer rc.Close()
	const n = 256 << 10
	ba, bb := make([]byte, n), make([]byte, n)
	for {
		na, ea := io.ReadFull(r, ba)
		nb, eb := io.ReadFull(rc, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false
		}
		if ea != nil || eb != nil {
			return isEnd(ea) && isEnd(eb)
		}
	}
}

func isEnd(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
