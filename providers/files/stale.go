package files

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/velinhq/velin/providers/provider"
)

// removeStale deletes the temporary files an interrupted restore left in
// the directories this one writes into: names of the form tempName makes
// (".velin-" + 26 base32 characters + ".tmp"), regular files or symlinks,
// never anything else. Such a file was never renamed into place, so it
// holds nothing a finished restore relies on.
func (r *restorer) removeStale() error {
	dirs := map[string]bool{}
	for _, d := range r.set.dirs {
		dirs[d] = true
	}
	for _, e := range r.set.selected {
		if e.Kind != provider.KindDir {
			dirs[path.Dir(e.Path)] = true
		}
	}
	for d := range dirs {
		if err := r.removeStaleIn(d); err != nil {
			return err
		}
	}
	return nil
}

func (r *restorer) removeStaleIn(dir string) error {
	f, err := r.root.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("clean up %s: %w", dir, err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("clean up %s: %w", dir, err)
	}
	for _, n := range names {
		if !isTempName(n) {
			continue
		}
		p := path.Join(dir, n)
		fi, err := r.root.Lstat(p)
		if err != nil || !(fi.Mode().IsRegular() || fi.Mode()&fs.ModeSymlink != 0) {
			continue
		}
		if err := r.root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("clean up %s: %w", p, err)
		}
	}
	return nil
}

// isTempName says whether name is one tempName makes.
func isTempName(name string) bool {
	mid, ok := strings.CutPrefix(name, ".velin-")
	if !ok {
		return false
	}
	mid, ok = strings.CutSuffix(mid, ".tmp")
	if !ok || len(mid) != 26 {
		return false
	}
	for _, c := range mid {
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}
