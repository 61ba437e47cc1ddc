package sqlite

import (
	"fmt"
	"path/filepath"
)

// Recover makes a source from a manifest's identity (the database file's
// absolute path), for restores and verification without the plan.
func Recover(identity string) (*Source, error) {
	if !filepath.IsAbs(identity) {
		return nil, fmt.Errorf("recover sqlite source: %q is not an absolute path", identity)
	}
	return New(identity)
}
