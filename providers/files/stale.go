package files

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// removeStaleIn deletes the temporary files an interrupted restore left in
// dir, a directory this one writes into: names of the form tempName makes
// (".velin-" + 26 base32 characters + ".tmp"), regular files or symlinks,
// never anything else. Such a file was never renamed into place, so it
// holds nothing a finished restore relies on. The directory is read a few
// thousand names at a time, whatever its size.
func (r *restorer) removeStaleIn(dir string) error {
	f, err := r.root.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("clean up %s: %w", dir, err)
	}
	defer f.Close()
	for {
		names, err := f.Readdirnames(4096)
		for _, n := range names {
			if isTempName(n) {
				if err := r.removeTemp(path.Join(dir, n)); err != nil {
					return err
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("clean up %s: %w", dir, err)
		}
	}
}

// removeTemp removes p if it is a regular file or a symlink.
func (r *restorer) removeTemp(p string) error {
	fi, err := r.root.Lstat(p)
	if err != nil || !(fi.Mode().IsRegular() || fi.Mode()&fs.ModeSymlink != 0) {
		return nil
	}
	if err := r.root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clean up %s: %w", p, err)
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
