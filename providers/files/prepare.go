package files

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/velinhq/velin/providers/provider"
)

// maxTopNames bounds the top-level names a NoMatchError lists.
const maxTopNames = 100

// selection is what a restore takes from a tree: the entries opts.Include
// selects, each with the directory it goes into. A first walk (check)
// validates the whole tree before anything is written; the restore and the
// plan then walk it again and handle each entry as it comes. Its memory is
// bounded by the tree's hard links, not by its size.
type selection struct {
	src   *Source
	tree  provider.Tree
	globs []string
	to    string // absolute RestoreOptions.To, or ""

	links   map[string]string         // hard-link target → the first link to it
	targets map[string]provider.Entry // hard-link target → its entry
	leaves  int                       // selected entries other than directories
}

// selection walks the tree once to refuse any entry that could write
// outside the destination (see check), and once more when the tree has
// hard links, to find their targets.
func (s *Source) selection(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) (*selection, error) {
	sel := &selection{src: s, tree: tree, globs: opts.Include, links: map[string]string{}}
	if opts.To != "" {
		to, err := filepath.Abs(opts.To)
		if err != nil {
			return nil, err
		}
		sel.to = to
	}
	if err := sel.check(ctx); err != nil {
		return nil, err
	}
	if err := sel.findTargets(ctx); err != nil {
		return nil, err
	}
	return sel, nil
}

// check validates every entry of the tree: a valid relative path, in
// strict path order (the order Tree.Walk promises, which the restore's
// single pass relies on), not below a non-directory, a hard link only to
// an earlier path; and that the include globs select something.
func (sel *selection) check(ctx context.Context) error {
	var prev provider.Entry
	var top []string
	selected := false
	err := sel.tree.Walk(ctx, func(e provider.Entry) error {
		if err := validPath(e.Path); err != nil {
			return err
		}
		if prev.Path != "" {
			if err := inOrder(prev.Path, prev.Kind, e.Path); err != nil {
				return err
			}
		}
		prev = provider.Entry{Path: e.Path, Kind: e.Kind}
		if err := sel.checkLink(e); err != nil {
			return err
		}
		if !strings.Contains(e.Path, "/") && len(top) < maxTopNames {
			top = append(top, e.Path)
		}
		if !included(sel.globs, e.Path) {
			return nil
		}
		selected = true
		if e.Kind != provider.KindDir {
			sel.leaves++
		}
		_, err := sel.dest(e.Path)
		return err
	})
	if err != nil {
		return err
	}
	if !selected && len(sel.globs) > 0 {
		return &provider.NoMatchError{Include: sel.globs, Top: top}
	}
	return nil
}

// inOrder refuses an entry p that does not come after prev in path order,
// and one below prev when prev is not a directory (a symlink, then a file
// "through" it). In path order the first entry below prev comes right
// after it, so checking the previous entry alone catches every such entry.
func inOrder(prev string, kind provider.Kind, p string) error {
	if comparePaths(prev, p) >= 0 {
		return fmt.Errorf("entry %s comes after %s: the tree is not in path order: %w", p, prev, ErrLayout)
	}
	if kind != provider.KindDir && strings.HasPrefix(p, prev+"/") {
		return fmt.Errorf("entry %s is below %s, a %s: %w", p, prev, kind, ErrLayout)
	}
	return nil
}

// checkLink refuses a hard link whose target is not a valid path that
// comes before it (a backup records the first path of an inode as the
// target, and walks in path order); whether the target is a file is
// checked by findTargets.
func (sel *selection) checkLink(e provider.Entry) error {
	if e.Kind != provider.KindHardlink {
		return nil
	}
	if err := validPath(e.Target); err != nil {
		return fmt.Errorf("hard link %s: %w", e.Path, err)
	}
	if comparePaths(e.Target, e.Path) >= 0 {
		return fmt.Errorf("hard link %s to %s: the target does not come before the link: %w", e.Path, e.Target, ErrLayout)
	}
	if _, ok := sel.links[e.Target]; !ok {
		sel.links[e.Target] = e.Path
	}
	return nil
}

// findTargets walks the tree again, when it has hard links, for the
// entries of their targets, and refuses a target that is not a file.
func (sel *selection) findTargets(ctx context.Context) error {
	sel.targets = make(map[string]provider.Entry, len(sel.links))
	if len(sel.links) == 0 {
		return nil
	}
	err := sel.tree.Walk(ctx, func(e provider.Entry) error {
		if _, ok := sel.links[e.Path]; ok && e.Kind == provider.KindFile {
			sel.targets[e.Path] = e
		}
		return nil
	})
	if err != nil {
		return err
	}
	for t, l := range sel.links {
		if _, ok := sel.targets[t]; !ok {
			return fmt.Errorf("hard link %s to %s: not a file of the tree: %w", l, t, ErrLayout)
		}
	}
	return nil
}

// each walks the tree and calls fn with every selected entry, in path
// order, and the directory it is restored into.
func (sel *selection) each(ctx context.Context, fn func(dest string, e provider.Entry) error) error {
	return sel.tree.Walk(ctx, func(e provider.Entry) error {
		if !included(sel.globs, e.Path) {
			return nil
		}
		dest, err := sel.dest(e.Path)
		if err != nil {
			return err
		}
		return fn(dest, e)
	})
}

// chosen says whether the target of hard link e is restored too, into the
// same directory: then e is restored as a link to it.
func (sel *selection) chosen(e provider.Entry) bool {
	if !included(sel.globs, e.Target) {
		return false
	}
	a, errA := sel.dest(e.Path)
	b, errB := sel.dest(e.Target)
	return errA == nil && errB == nil && a == b
}

// source is the entry whose content and metadata e is restored with: its
// target for a hard link whose target is not chosen.
func (sel *selection) source(e provider.Entry) provider.Entry {
	if e.Kind == provider.KindHardlink && !sel.chosen(e) {
		return sel.targets[e.Target]
	}
	return e
}

// dest is the directory an entry is restored into: To, or the parent
// directory of the configured root it belongs to.
func (sel *selection) dest(p string) (string, error) {
	if sel.to != "" {
		return sel.to, nil
	}
	top, _, _ := strings.Cut(p, "/")
	for _, r := range sel.src.roots {
		if r.name == top {
			return filepath.Dir(r.abs), nil
		}
	}
	return "", fmt.Errorf("entry %s is not under any configured path; restore it with a destination", p)
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

// included says whether p or one of its parents matches a glob (see
// match); no globs include everything.
func included(globs []string, p string) bool {
	return len(globs) == 0 || matchAny(globs, p)
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
