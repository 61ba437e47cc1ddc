package local

import (
	"fmt"
	"strings"

	"github.com/velinhq/velin/engine/storage"
)

// tempPrefix starts the base name of every temporary file. Object names whose
// segments start with it are refused, so a listing can skip temporary files
// without hiding objects.
const tempPrefix = ".tmp-"

// ValidateName checks that name is a valid object name (storage.ValidateName)
// whose segments do not start with the reserved temporary prefix. It
// returns an error wrapping ErrInvalidName.
func ValidateName(name string) error {
	if err := storage.ValidateName(name); err != nil {
		return err
	}
	for seg := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(seg, tempPrefix) {
			return storage.InvalidName(name, "segment starts with the reserved "+tempPrefix)
		}
	}
	return nil
}

// prefixDir returns the directory part of a listing prefix ("data/a" →
// "data", "data/" → "data", "d" → ""), which must itself be a valid name
// or empty.
func prefixDir(prefix string) (string, error) {
	i := strings.LastIndexByte(prefix, '/')
	if i < 0 {
		return "", nil
	}
	dir := prefix[:i]
	if err := ValidateName(dir); err != nil {
		return "", fmt.Errorf("prefix %q: %w", prefix, err)
	}
	return dir, nil
}
