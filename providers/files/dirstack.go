package files

import (
	"strings"

	"github.com/velinhq/velin/providers/provider"
)

// dirStack holds the directories on the current path of a walk in path
// order, parents first: the walk enters a directory once, before its
// children, and leaves it once, after them. It holds one element per
// level, however many entries the tree has.
type dirStack struct {
	open []stacked
}

type stacked struct {
	path  string
	entry *provider.Entry // the directory's own entry, nil for a parent that is not selected
	fresh bool            // visit created it: nothing was there before this walk
}

// dirVisit checks or creates a directory before it is pushed; fresh says
// that it created it.
type dirVisit func(p string) (fresh bool, err error)

// leave pops every directory that p is not below and appends the entries
// of the popped directories to out, children before parents.
func (s *dirStack) leave(p string, out []provider.Entry) []provider.Entry {
	for n := len(s.open); n > 0; n-- {
		top := s.open[n-1]
		if strings.HasPrefix(p, top.path+"/") {
			break
		}
		s.open = s.open[:n-1]
		if top.entry != nil {
			out = append(out, *top.entry)
		}
	}
	return out
}

// enter pushes dir and those of its parents that are not on the stack
// yet, parents first, calling visit with each before it is pushed. It
// must follow leave(p) for a path p below or equal to dir, so that every
// directory on the stack is a parent of dir. dir "." is the destination
// itself, never pushed.
func (s *dirStack) enter(dir string, visit dirVisit) error {
	if dir == "." {
		return nil
	}
	start := 0
	if n := len(s.open); n > 0 {
		if s.open[n-1].path == dir {
			return nil
		}
		start = len(s.open[n-1].path) + 1
	}
	for i := start; i <= len(dir); i++ {
		if i < len(dir) && dir[i] != '/' {
			continue
		}
		fresh, err := visit(dir[:i])
		if err != nil {
			return err
		}
		s.open = append(s.open, stacked{path: dir[:i], fresh: fresh})
	}
	return nil
}

// push pushes a directory entry, after leave(e.Path) and enter of its
// parent; visit is called with it first.
func (s *dirStack) push(e provider.Entry, visit dirVisit) error {
	fresh, err := visit(e.Path)
	if err != nil {
		return err
	}
	s.open = append(s.open, stacked{path: e.Path, entry: &e, fresh: fresh})
	return nil
}

// fresh says whether dir, the directory on top of the stack, was created
// by this walk, so that none of its entries can exist yet.
func (s *dirStack) fresh(dir string) bool {
	n := len(s.open)
	return n > 0 && s.open[n-1].path == dir && s.open[n-1].fresh
}
