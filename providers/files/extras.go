package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/velinhq/velin/providers/provider"
)

// maxNamedDirs bounds the directories whose extra entries a test restore
// names one by one; past it, it counts them.
const maxNamedDirs = 5

// extras finds what a restored directory holds beyond the tree's entries,
// in memory bounded by the tree's depth: every entry of the tree that is
// present in scratch is one name of its directory, so a directory holds
// more than the tree gives it exactly when it has more names than present
// children. The names are read a few thousand at a time and only counted.
// Only for a directory that has more does name list them, with one more
// walk of the tree.
type extras struct {
	scratch string
	open    []dirChildren // directories on the current path; the first is scratch itself
	bad     []dirChildren // directories with more names than present children
}

type dirChildren struct {
	path    string // "" for scratch itself
	present int    // children of the tree found in scratch
	names   int    // names in scratch (set on leaving)
}

// leave counts the names of every directory that p is not below.
func (x *extras) leave(p string) {
	if len(x.open) == 0 {
		x.open = []dirChildren{{}}
	}
	for n := len(x.open); n > 0; n-- {
		d := x.open[n-1]
		if d.path == "" && p != "" || strings.HasPrefix(p, d.path+"/") {
			break
		}
		x.open = x.open[:n-1]
		d.names = countNames(filepath.Join(x.scratch, filepath.FromSlash(d.path)))
		if d.names > d.present {
			x.bad = append(x.bad, d)
		}
	}
}

// child counts e in its directory when present, and opens e when it is a
// directory. Parents not open (the tree lacks them, or they are missing)
// are opened too, counted in theirs when present.
func (x *extras) child(e provider.Entry, present bool) {
	parent := path.Dir(e.Path)
	if parent == "." {
		parent = ""
	}
	for top := x.open[len(x.open)-1].path; top != parent; {
		from := len(top) + min(len(top), 1) // after top and its "/"
		next := parent
		if i := strings.IndexByte(parent[from:], '/'); i >= 0 {
			next = parent[:from+i]
		}
		if fi, err := os.Lstat(filepath.Join(x.scratch, filepath.FromSlash(next))); err == nil && fi.IsDir() {
			x.open[len(x.open)-1].present++
		}
		x.open = append(x.open, dirChildren{path: next})
		top = next
	}
	if present {
		x.open[len(x.open)-1].present++
	}
	if e.Kind == provider.KindDir && present {
		x.open = append(x.open, dirChildren{path: e.Path})
	}
}

// countNames counts the names in dir; an unreadable one counts as empty
// (checkRestored reports it).
func countNames(dir string) int {
	f, err := os.Open(dir)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	for {
		names, err := f.Readdirnames(4096)
		n += len(names)
		if err != nil {
			return n
		}
	}
}

// name lists the extra entries of the first maxNamedDirs directories found
// with some (a walk of the tree for their children), and counts the rest.
func (x *extras) name(ctx context.Context, tree provider.Tree) ([]string, error) {
	if len(x.bad) == 0 {
		return nil, nil
	}
	named := x.bad[:min(len(x.bad), maxNamedDirs)]
	known := map[string]map[string]bool{}
	for _, d := range named {
		known[d.path] = map[string]bool{}
	}
	err := tree.Walk(ctx, func(e provider.Entry) error {
		dir := path.Dir(e.Path)
		if dir == "." {
			dir = ""
		}
		if k := known[dir]; k != nil {
			k[path.Base(e.Path)] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range named {
		more, err := notIn(filepath.Join(x.scratch, filepath.FromSlash(d.path)), d.path, known[d.path])
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	for _, d := range x.bad[len(named):] {
		out = append(out, fmt.Sprintf("%q: %d entries not in the snapshot", d.path, d.names-d.present))
	}
	return out, nil
}

// notIn lists the names in dir (rel in the tree) that known lacks.
func notIn(dir, rel string, known map[string]bool) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	defer f.Close()
	var out []string
	for {
		names, err := f.Readdirnames(4096)
		for _, n := range names {
			if !known[n] {
				out = append(out, fmt.Sprintf("%q: not in the snapshot", path.Join(rel, n)))
			}
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", dir, err)
		}
	}
}
