package provider

import (
	"errors"
	"fmt"
	"strings"
)

// ErrPartial marks an operation that finished but could not handle every
// entry (a damaged blob at restore, an unreadable file at backup). The CLI
// maps it to exit code 3. Wrap it with *Partial to say what was affected.
var ErrPartial = errors.New("partial")

// Problem is one entry an operation could not handle fully.
type Problem struct {
	Path string `json:"path"` // slash-separated, relative to the source root
	Op   string `json:"op"`   // "read", "restore", "skip", "open"
	Err  string `json:"error"`
}

// Partial is the error of an operation that did the rest of its work but
// not these entries. errors.Is(p, ErrPartial) is true.
type Partial struct {
	Op       string // "backup files.site", "restore files.site"
	Problems []Problem
}

func (p *Partial) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: partial: %d entr", p.Op, len(p.Problems))
	if len(p.Problems) == 1 {
		b.WriteString("y")
	} else {
		b.WriteString("ies")
	}
	b.WriteString(" not handled")
	for i, pr := range p.Problems {
		if i == 5 {
			fmt.Fprintf(&b, "; … and %d more", len(p.Problems)-5)
			break
		}
		fmt.Fprintf(&b, "; %s %s: %s", pr.Op, pr.Path, pr.Err)
	}
	return b.String()
}

// Is makes errors.Is(p, ErrPartial) true.
func (p *Partial) Is(target error) bool { return target == ErrPartial }
