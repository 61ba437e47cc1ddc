package export

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/velinhq/velin/engine/repo"
)

// WriteFile writes the export to path crash-safely: into a temporary file
// of the same directory (mode 0600), fsynced, renamed over path, and the
// directory fsynced. On error nothing is left at path or beside it.
func WriteFile(ctx context.Context, path string, src Trees, m *repo.Manifest, opts Options) (*Manifest, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".velin-export-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	man, err := Write(ctx, f, src, m, opts)
	if err != nil {
		return nil, err
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		defer d.Close()
		if err := d.Sync(); err != nil {
			return nil, fmt.Errorf("export: sync %s: %w", dir, err)
		}
	}
	return man, nil
}

// OpenFile opens the export at path; the caller closes the returned
// file after the Archive's last use.
func OpenFile(path, passphrase string) (*Archive, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open export: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("open export: %w", err)
	}
	a, err := Open(f, st.Size(), filepath.Base(path), passphrase)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return a, f, nil
}

// IsEncrypted says whether the file at path is an age-encrypted export,
// so that a caller asks for a passphrase only when one is needed.
func IsEncrypted(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("open export: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(ageMagic))
	n, _ := f.ReadAt(head, 0)
	return n == len(head) && string(head) == ageMagic, nil
}

// zipMagic begins a ZIP file (its first local file header).
const zipMagic = "PK\x03\x04"

// IsExport says whether path is a regular file that begins as an export
// does (a ZIP, or an age-encrypted file), whatever its name: a plan file
// never does.
func IsExport(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return false
	}
	head := make([]byte, len(ageMagic))
	n, _ := f.ReadAt(head, 0)
	return string(head[:min(n, len(zipMagic))]) == zipMagic || string(head[:n]) == ageMagic
}
