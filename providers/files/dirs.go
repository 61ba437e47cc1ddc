package files

import (
	"os"
	"path"
	"sync"
)

// maxDirRoots bounds the directory descriptors a restore holds open.
const maxDirRoots = 512

// dirRoots hands out an os.Root per destination directory, opened once
// and shared by every file restored into it: creating, renaming and
// removing a file then costs one openat of its base name instead of one
// per path component. Each directory root is opened through the
// destination's root, so it refuses escapes and symlinks exactly as the
// destination root does. At most maxDirRoots are held open; past that a
// file goes through the destination's root on its whole path, as before
// (slower, never wrong), so a tree with many directories cannot exhaust
// file descriptors. Safe for concurrent use.
type dirRoots struct {
	root *os.Root
	mu   sync.Mutex
	open map[string]*os.Root
	max  int
}

func newDirRoots(root *os.Root) *dirRoots {
	return &dirRoots{root: root, open: map[string]*os.Root{}, max: maxDirRoots}
}

// of returns a root and the name of p relative to it: the root of p's
// directory and p's base name, or the destination's root and p itself.
func (d *dirRoots) of(p string) (*os.Root, string, error) {
	dir, base := path.Split(p)
	dir = path.Clean(dir)
	if dir == "." {
		return d.root, base, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if r, ok := d.open[dir]; ok {
		return r, base, nil
	}
	if len(d.open) >= d.max {
		return d.root, p, nil
	}
	r, err := d.root.OpenRoot(dir)
	if err != nil {
		return nil, "", err
	}
	d.open[dir] = r
	return r, base, nil
}

// close releases every directory root (not the destination's); later
// calls of of open them again.
func (d *dirRoots) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range d.open {
		r.Close()
	}
	clear(d.open)
}
