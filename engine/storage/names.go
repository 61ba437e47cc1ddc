package storage

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidName is wrapped by every error about a malformed object name.
var ErrInvalidName = errors.New("invalid object name")

// ValidateName checks the contract's object names (see Storage):
// slash-separated segments of printable ASCII, no leading "/", no empty,
// "." or ".." segment, no backslash. It returns an error wrapping
// ErrInvalidName. An implementation may refuse more names (the local
// storage reserves its temporary files' prefix).
func ValidateName(name string) error {
	if reason := nameProblem(name); reason != "" {
		return InvalidName(name, reason)
	}
	return nil
}

// InvalidName is the error for name refused for reason.
func InvalidName(name, reason string) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidName, name, reason)
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
