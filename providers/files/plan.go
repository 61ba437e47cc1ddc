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
// are no "delete" changes.
func (s *Source) PlanRestore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) ([]provider.Change, error) {
	sets, err := s.prepare(ctx, tree, opts)
	if err != nil {
		return nil, fmt.Errorf("plan files restore: %w", err)
	}
	var out []provider.Change
	for _, set := range sets {
		changes, err := set.plan(ctx, tree)
		if err != nil {
			return nil, fmt.Errorf("plan files restore to %s: %w", set.dest, err)
		}
		out = append(out, changes...)
	}
	return out, nil
}

func (set *restoreSet) plan(ctx context.Context, tree provider.Tree) ([]provider.Change, error) {
	root, err := os.OpenRoot(set.dest)
	if errors.Is(err, fs.ErrNotExist) {
		root = nil
	} else if err != nil {
		return nil, err
	} else {
		defer root.Close()
	}
	for _, d := range set.dirs {
		if err := checkDir(root, d); err != nil {
			return nil, err
		}
	}
	out := []provider.Change{}
	for _, e := range set.selected {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if e.Kind != provider.KindDir {
			out = append(out, set.change(ctx, root, tree, e))
		}
	}
	return out, nil
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
func (set *restoreSet) change(ctx context.Context, root *os.Root, tree provider.Tree, e provider.Entry) provider.Change {
	c := provider.Change{What: path.Join(set.dest, e.Path), Snapshot: describeEntry(set.source(e))}
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
	if set.identical(ctx, root, tree, e, fi) {
		c.Action = "unchanged"
	} else {
		c.Action = "replace"
	}
	return c
}

// source is the entry whose content and metadata e is restored with: its
// target for a hard link whose target is not selected.
func (set *restoreSet) source(e provider.Entry) provider.Entry {
	if e.Kind == provider.KindHardlink && !set.chosen[e.Target] {
		return set.all[e.Target]
	}
	return e
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
