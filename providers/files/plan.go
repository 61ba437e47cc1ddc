package files

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

// PlanRestore implements provider.Source. It lists one change per file,
// symlink and hard link selected (directories are not counted): "create"
// when nothing is at its path, "unchanged" when what is there is identical
// (see identical), "replace" otherwise. A restore never deletes, so there
// are no "delete" changes. Like the restore, it walks the tree once after
// the selection's check; only the changes it returns grow with the tree.
func (s *Source) PlanRestore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) ([]provider.Change, error) {
	sel, err := s.selection(ctx, tree, opts)
	if err != nil {
		return nil, fmt.Errorf("plan files restore: %w", err)
	}
	var p *planner
	defer func() { p.close() }()
	var perr error                                // an error of the plan, not of the walk
	out := make([]provider.Change, 0, sel.leaves) // one per leaf: no regrowth
	err = sel.each(ctx, func(dest string, e provider.Entry) error {
		if p != nil && p.dest != dest {
			p.close()
			p = nil
		}
		var err error
		if p == nil {
			p, err = sel.planner(dest)
		}
		if err == nil {
			err = p.add(ctx, e, &out)
		}
		if err != nil {
			perr = fmt.Errorf("plan files restore to %s: %w", dest, err)
		}
		return perr
	})
	switch {
	case perr != nil:
		return nil, perr
	case err != nil:
		return nil, fmt.Errorf("plan files restore: %w", err)
	}
	return out, nil
}

// planner compares the selected entries for one destination with what is
// there, as the walk brings them.
type planner struct {
	sel   *selection
	dest  string
	root  *os.Root // nil when the destination does not exist
	stack dirStack
}

func (sel *selection) planner(dest string) (*planner, error) {
	root, err := os.OpenRoot(dest)
	if errors.Is(err, fs.ErrNotExist) {
		root = nil
	} else if err != nil {
		return nil, err
	}
	return &planner{sel: sel, dest: dest, root: root}, nil
}

// close releases the root; a nil p is fine.
func (p *planner) close() {
	if p != nil && p.root != nil {
		p.root.Close()
	}
}

// add checks the directories on the way to e and, for a file, symlink or
// hard link, appends its change to out.
func (p *planner) add(ctx context.Context, e provider.Entry, out *[]provider.Change) error {
	check := func(d string) (bool, error) { return false, checkDir(p.root, d) }
	p.stack.leave(e.Path, nil)
	if err := p.stack.enter(path.Dir(e.Path), check); err != nil {
		return err
	}
	if e.Kind == provider.KindDir {
		return p.stack.push(e, check)
	}
	*out = append(*out, p.change(ctx, e))
	return nil
}

// checkDir refuses a directory of the selection that exists as something
// else at the destination.
func checkDir(root *os.Root, p string) error {
	if root == nil {
		return nil
	}
	fi, err := root.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s exists and is a %v, not a directory: %w", p, fi.Mode().Type(), ErrLayout)
	}
	return nil
}

// change compares one entry with what is at the destination.
func (p *planner) change(ctx context.Context, e provider.Entry) provider.Change {
	root := p.root
	c := provider.Change{What: path.Join(p.dest, e.Path), Snapshot: describeEntry(p.sel.source(e))}
	var fi fs.FileInfo
	err := fs.ErrNotExist
	if root != nil {
		fi, err = root.Lstat(e.Path)
	}
	if err != nil {
		c.Action = "create"
		return c
	}
	c.Current = describeInfo(root, e.Path, fi)
	if p.sel.identical(ctx, root, e, fi) {
		c.Action = "unchanged"
	} else {
		c.Action = "replace"
	}
	return c
}

func describeEntry(e provider.Entry) string {
	switch e.Kind {
	case provider.KindSymlink:
		return "symlink to " + e.Target
	case provider.KindHardlink:
		return "hard link to " + e.Target
	}
	return describeFile(e.Size, e.Mode.Perm(), e.ModTime)
}

func describeInfo(root *os.Root, p string, fi fs.FileInfo) string {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		t, _ := root.Readlink(p)
		return "symlink to " + t
	case fi.Mode().IsRegular():
		return describeFile(fi.Size(), fi.Mode().Perm(), fi.ModTime())
	}
	return fi.Mode().Type().String()
}

func describeFile(size int64, perm fs.FileMode, mtime time.Time) string {
	return fmt.Sprintf("%d bytes, %v, modified %s", size, perm, mtime.Format("2006-01-02 15:04:05 MST"))
}
