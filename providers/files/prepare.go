package files

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/velinhq/velin/providers/provider"
)

// restoreSet is the part of a tree that goes into one destination
// directory, validated.
type restoreSet struct {
	dest     string                    // absolute destination directory
	selected []provider.Entry          // in path order
	all      map[string]provider.Entry // the whole tree, for hard-link targets
	chosen   map[string]bool           // paths of selected
	dirs     []string                  // every directory to create, parents first
}

// prepare reads the tree, selects entries by opts.Include, refuses any
// entry that could write outside the destination, and groups the
// selection by destination directory.
func (s *Source) prepare(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) ([]*restoreSet, error) {
	all := map[string]provider.Entry{}
	var order []provider.Entry
	err := tree.Walk(ctx, func(e provider.Entry) error {
		if err := validPath(e.Path); err != nil {
			return err
		}
		all[e.Path] = e
		order = append(order, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sets := map[string]*restoreSet{}
	for _, e := range order {
		if !included(opts.Include, e.Path) {
			continue
		}
		if err := checkEntry(e, all); err != nil {
			return nil, err
		}
		dest, err := s.destination(opts.To, e.Path)
		if err != nil {
			return nil, err
		}
		set := sets[dest]
		if set == nil {
			set = &restoreSet{dest: dest, all: all, chosen: map[string]bool{}}
			sets[dest] = set
		}
		set.selected = append(set.selected, e)
		set.chosen[e.Path] = true
	}
	if len(sets) == 0 && len(opts.Include) > 0 {
		return nil, &provider.NoMatchError{Include: opts.Include, Top: topLevel(order)}
	}
	var out []*restoreSet
	for _, set := range sets {
		set.dirs = set.directories()
		out = append(out, set)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].dest < out[j].dest })
	return out, nil
}

// topLevel lists the names of the tree's top-level entries.
func topLevel(entries []provider.Entry) []string {
	var out []string
	for _, e := range entries {
		if !strings.Contains(e.Path, "/") {
			out = append(out, e.Path)
		}
	}
	return out
}

// CanFilter implements provider.Filterable: a file-tree restore honours
// RestoreOptions.Include.
func (s *Source) CanFilter() bool { return true }

// validPath refuses absolute paths, "..", "." and empty components.
func validPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\x00") {
		return fmt.Errorf("entry %q: %w", p, ErrEscape)
	}
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." || c == ".." {
			return fmt.Errorf("entry %q: %w", p, ErrEscape)
		}
	}
	return nil
}

// checkEntry refuses an entry below a non-directory of the tree (a
// symlink, then a file "through" it) and hard links to anything but a
// file of the tree.
func checkEntry(e provider.Entry, all map[string]provider.Entry) error {
	for q := path.Dir(e.Path); q != "."; q = path.Dir(q) {
		if a, ok := all[q]; ok && a.Kind != provider.KindDir {
			return fmt.Errorf("entry %s is below %s, a %s: %w", e.Path, q, a.Kind, ErrLayout)
		}
	}
	if e.Kind != provider.KindHardlink {
		return nil
	}
	if err := validPath(e.Target); err != nil {
		return fmt.Errorf("hard link %s: %w", e.Path, err)
	}
	if t, ok := all[e.Target]; !ok || t.Kind != provider.KindFile {
		return fmt.Errorf("hard link %s to %s: not a file of the tree: %w", e.Path, e.Target, ErrLayout)
	}
	return nil
}

// included says whether p or one of its parents matches a glob (see
// match); no globs include everything.
func included(globs []string, p string) bool {
	return len(globs) == 0 || matchAny(globs, p)
}

// destination is the directory an entry is restored into: To, or the
// parent directory of the configured root it belongs to.
func (s *Source) destination(to, p string) (string, error) {
	if to != "" {
		return filepath.Abs(to)
	}
	top, _, _ := strings.Cut(p, "/")
	for _, r := range s.roots {
		if r.name == top {
			return filepath.Dir(r.abs), nil
		}
	}
	return "", fmt.Errorf("entry %s is not under any configured path; restore it with a destination", p)
}

// directories lists the directory entries and every parent of a selected
// entry, parents first.
func (set *restoreSet) directories() []string {
	seen := map[string]bool{}
	var dirs []string
	for _, e := range set.selected {
		if e.Kind == provider.KindDir && !seen[e.Path] {
			seen[e.Path] = true
			dirs = append(dirs, e.Path)
		}
		for q := path.Dir(e.Path); q != "."; q = path.Dir(q) {
			if !seen[q] {
				seen[q] = true
				dirs = append(dirs, q)
			}
		}
	}
	sortPaths(dirs)
	return dirs
}

func sortPaths(p []string) {
	slices.SortFunc(p, comparePaths)
}

// comparePaths orders paths component by component, a directory before
// its children: byte order with "/" below every other byte, which is the
// same order without splitting the paths.
func comparePaths(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		x, y := a[i], b[i]
		switch {
		case x == y:
			continue
		case x == '/':
			return -1
		case y == '/':
			return 1
		case x < y:
			return -1
		}
		return 1
	}
	return len(a) - len(b)
}
