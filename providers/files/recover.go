package files

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Recover makes a source from a manifest's identity (the absolute paths of
// its roots, joined with ", "), for restores and verification without the
// plan. Excludes do not matter there: the snapshot holds what was kept.
// A root whose own path contains ", " cannot be told apart; such a source
// is still restorable with --to, which uses only the roots' base names.
func Recover(identity string) (*Source, error) {
	paths := strings.Split(identity, ", ")
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			return nil, fmt.Errorf("recover files source: %q is not an absolute path", p)
		}
	}
	return New(paths, nil, false, false)
}
