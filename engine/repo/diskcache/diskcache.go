package diskcache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// magic starts every entry.
const magic = "VLC1"

// maxTag bounds an entry's tag.
const maxTag = 1 << 10

// tmpPrefix starts the names of files being written; tmpAge is how old
// one must be before Names removes it as a crash's leftover.
const (
	tmpPrefix = ".tmp-"
	tmpAge    = time.Hour
)

// kinds are the entry directories; trees are spread over 256
// subdirectories by the first two hex digits of the id.
var kinds = map[string]bool{"index": true, "snapshots": true, "trees": true}

// Cache is a cache directory.
type Cache struct {
	dir string
}

// Open returns the cache in dir, creating it (mode 0700) if needed.
func Open(dir string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open cache: %w", err)
	}
	return &Cache{dir: dir}, nil
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.dir }

// path returns the file of entry name, or an error for a name that is not
// "<kind>/<segment>".
func (c *Cache) path(name string) (string, error) {
	kind, id, ok := strings.Cut(name, "/")
	if !ok || !kinds[kind] || !validSegment(id) {
		return "", fmt.Errorf("cache: invalid entry name %q", name)
	}
	if kind == "trees" {
		if len(id) < 3 {
			return "", fmt.Errorf("cache: invalid entry name %q", name)
		}
		return filepath.Join(c.dir, kind, id[:2], id), nil
	}
	return filepath.Join(c.dir, kind, id), nil
}

// validSegment allows letters, digits, '-', '_' and '.' not in front (a
// leading dot is for temporary files, and rules out "." and "..").
func validSegment(s string) bool {
	if s == "" || s[0] == '.' {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return false
		}
	}
	return true
}

// Get returns the bytes of entry name when it exists and was stored with
// tag. A damaged or foreign entry is a miss; the caller still checks the
// bytes.
func (c *Cache) Get(name, tag string) ([]byte, bool) {
	p, err := c.path(name)
	if err != nil {
		return nil, false
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	body, got, ok := decode(data)
	if !ok || got != tag {
		return nil, false
	}
	return body, true
}

// decode splits an entry into its body and tag.
func decode(data []byte) (body []byte, tag string, ok bool) {
	if !bytes.HasPrefix(data, []byte(magic)) {
		return nil, "", false
	}
	rest := data[len(magic):]
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > maxTag || uint64(len(rest)-k) < n {
		return nil, "", false
	}
	rest = rest[k:]
	return rest[n:], string(rest[:n]), true
}

// Put stores body under name with tag, replacing any entry.
func (c *Cache) Put(name, tag string, body []byte) error {
	p, err := c.path(name)
	if err != nil {
		return err
	}
	if len(tag) > maxTag {
		return fmt.Errorf("cache: tag of %s too long", name)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("cache %s: %w", name, err)
	}
	head := binary.AppendUvarint([]byte(magic), uint64(len(tag)))
	head = append(head, tag...)
	if err := writeAtomic(p, head, body); err != nil {
		return fmt.Errorf("cache %s: %w", name, err)
	}
	return nil
}

// writeAtomic writes head and body to a temporary file next to p (mode
// 0600) and renames it to p, so no reader sees a partial entry. It does
// not fsync: the repository authenticates every entry it reads, so an
// entry a power loss cut short is a miss, and a flush per tree would cost
// a backup of 20,000 directories about a minute (2.8 ms per fsync on our
// development machine, 0.5 ms without).
func writeAtomic(p string, head, body []byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), tmpPrefix+"*")
	if err != nil {
		return err
	}
	_, err = f.Write(head)
	if err == nil {
		_, err = f.Write(body)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// Delete removes entry name; a missing one is no error.
func (c *Cache) Delete(name string) error {
	p, err := c.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// Names lists the entries of kind ("index", "snapshots", "trees") as
// "<kind>/<id>", and removes temporary files older than an hour (left by
// a crash).
func (c *Cache) Names(kind string) ([]string, error) {
	if !kinds[kind] {
		return nil, fmt.Errorf("cache: unknown kind %q", kind)
	}
	var names []string
	root := filepath.Join(c.dir, kind)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		if strings.HasPrefix(d.Name(), tmpPrefix) {
			removeStale(p, d)
			return nil
		}
		names = append(names, kind+"/"+d.Name())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cache: list %s: %w", kind, err)
	}
	return names, nil
}

func removeStale(p string, d fs.DirEntry) {
	if info, err := d.Info(); err == nil && time.Since(info.ModTime()) > tmpAge {
		os.Remove(p)
	}
}
