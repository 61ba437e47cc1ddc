package files

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

	"github.com/velinhq/velin/providers/provider"
)

// PlanRestore implements provider.Source. It lists "create" for the
// topmost missing paths (with how many entries come with them) and
// "replace" for existing files whose size or mtime differ, symlinks whose
// target differs, and anything of another kind. A restore never deletes,
// so there are no "delete" changes.
func (s *Source) PlanRestore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) ([]provider.Change, error) {
	sets, err := s.prepare(ctx, tree, opts)
	if err != nil {
		return nil, fmt.Errorf("plan files restore: %w", err)
	}
	var out []provider.Change
	for _, set := range sets {
		changes, err := set.plan()
		if err != nil {
			return nil, fmt.Errorf("plan files restore to %s: %w", set.dest, err)
		}
		out = append(out, changes...)
	}
	return out, nil
}

func (set *restoreSet) plan() ([]provider.Change, error) {
	var out []provider.Change
	created := map[string]int{} // missing path → index of its change
	dirs := map[string]bool{}
	for _, d := range set.dirs {
		dirs[d] = true
	}
	var root *os.Root
	if r, err := os.OpenRoot(set.dest); err == nil {
		root = r
		defer r.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, p := range set.planPaths(dirs) {
		if i, ok := created[path.Dir(p)]; ok {
			created[p] = i
			out[i].Detail = countDetail(out[i].Detail)
			continue
		}
		c, missing, err := set.change(root, p, dirs[p])
		if err != nil {
			return nil, err
		}
		if missing {
			created[p] = len(out)
		}
		if c.Action != "" {
			out = append(out, c)
		}
	}
	return out, nil
}

// planPaths lists the directories and selected entries in path order.
func (set *restoreSet) planPaths(dirs map[string]bool) []string {
	paths := append([]string(nil), set.dirs...)
	for _, e := range set.selected {
		if !dirs[e.Path] {
			paths = append(paths, e.Path)
		}
	}
	sortPaths(paths)
	return paths
}

func countDetail(detail string) string {
	var n int
	if _, err := fmt.Sscanf(detail, "with %d entries", &n); err != nil {
		n = 0
	}
	return fmt.Sprintf("with %d entries", n+1)
}

// change compares one path with what is at the destination.
func (set *restoreSet) change(root *os.Root, p string, isDir bool) (provider.Change, bool, error) {
	what := path.Join(set.dest, p)
	var fi fs.FileInfo
	err := fs.ErrNotExist
	if root != nil {
		fi, err = root.Lstat(p)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return provider.Change{Action: "create", What: what}, true, nil
	}
	if err != nil {
		return provider.Change{}, false, err
	}
	if isDir {
		if !fi.IsDir() {
			return provider.Change{}, false, fmt.Errorf("%s exists and is a %v, not a directory: %w", p, fi.Mode().Type(), ErrLayout)
		}
		return provider.Change{}, false, nil
	}
	return set.compare(root, set.all[p], fi, what), false, nil
}

func (set *restoreSet) compare(root *os.Root, e provider.Entry, fi fs.FileInfo, what string) provider.Change {
	replace := provider.Change{Action: "replace", What: what}
	switch e.Kind {
	case provider.KindSymlink:
		if fi.Mode()&fs.ModeSymlink == 0 {
			return replace
		}
		if t, err := root.Readlink(e.Path); err != nil || t != e.Target {
			replace.Detail = fmt.Sprintf("symlink to %s → %s", t, e.Target)
			return replace
		}
	case provider.KindHardlink:
		if !same(root, e.Path, e.Target) {
			replace.Detail = "hard link to " + e.Target
			return replace
		}
	case provider.KindFile:
		if !fi.Mode().IsRegular() || fi.Size() != e.Size || !fi.ModTime().Equal(e.ModTime) {
			replace.Detail = fmt.Sprintf("%d bytes, modified %s → %d bytes, modified %s",
				fi.Size(), fi.ModTime().Format("2006-01-02 15:04:05"), e.Size, e.ModTime.Format("2006-01-02 15:04:05"))
			return replace
		}
		if changedSince(e, fi) {
			replace.Detail = "same size and mtime, but rewritten since the backup (inode or ctime differ)"
			return replace
		}
	}
	return provider.Change{}
}

// changedSince says whether a file with the entry's size and mtime is still
// not the very file that was backed up: on the same device, its inode or
// ctime differ. A file restored earlier has a new inode and shows up too;
// a restore rewrites every file anyway, so erring this way hides nothing.
func changedSince(e provider.Entry, fi fs.FileInfo) bool {
	st := statOf(fi)
	if uint64(st.Dev) != e.Device {
		return false
	}
	return st.Ino != e.Inode || !changeTime(st).Equal(e.ChangeTime)
}
