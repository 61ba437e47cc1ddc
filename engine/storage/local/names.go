package local

import (
	"fmt"
	"strings"
)

// tempPrefix starts the base name of every temporary file. Object names whose
// segments start with it are refused, so a listing can skip temporary files
// without hiding objects.
const tempPrefix = ".tmp-"

// ValidateName checks that name is a valid object name: slash-separated
// segments of printable ASCII, no leading "/", no empty, "." or ".."
// segment, no backslash. It returns an error wrapping ErrInvalidName.
func ValidateName(name string) error {
	if reason := nameProblem(name); reason != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidName, name, reason)
	}
	return nil
}

func nameProblem(name string) string {
	if name == "" {
		return "empty"
	}
	if name[0] == '/' {
		return `starts with "/"`
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c > 0x7e {
			return "not printable ASCII"
		}
		if c == '\\' {
			return "contains a backslash"
		}
	}
	for _, seg := range strings.Split(name, "/") {
		switch {
		case seg == "":
			return "empty segment"
		case seg == "." || seg == "..":
			return `"." or ".." segment`
		case strings.HasPrefix(seg, tempPrefix):
			return "segment starts with the reserved " + tempPrefix
		}
	}
	return ""
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
