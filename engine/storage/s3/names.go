package s3

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidName is wrapped by every error about a malformed object name.
var ErrInvalidName = errors.New("invalid object name")

// validateName checks the contract's object names: slash-separated
// segments of printable ASCII, no leading "/", no empty, "." or ".."
// segment, no backslash.
func validateName(name string) error {
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
		if c := name[i]; c < 0x20 || c > 0x7e {
			return "not printable ASCII"
		} else if c == '\\' {
			return "contains a backslash"
		}
	}
	for seg := range strings.SplitSeq(name, "/") {
		switch seg {
		case "":
			return "empty segment"
		case ".", "..":
			return `"." or ".." segment`
		}
	}
	return ""
}

// cleanPrefix normalises a key prefix: no leading or trailing "/", and a
// valid name when not empty. It returns "" or "PREFIX/".
func cleanPrefix(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", nil
	}
	if err := validateName(p); err != nil {
		return "", fmt.Errorf("prefix: %w", err)
	}
	return p + "/", nil
}

// CheckPrefix says whether p can be a key prefix: "" or slash-separated
// segments as in object names (leading and trailing slashes are dropped).
func CheckPrefix(p string) error {
	_, err := cleanPrefix(p)
	return err
}
