package files

import (
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// match is the one rule `exclude` and `--include` share, for a glob g
// (doublestar syntax) and a tree path p ("site/uploads/a.jpg", starting
// with the root's base name):
//   - a glob without a slash matches a name at any depth ("*.tmp",
//     "uploads");
//   - a glob with a slash matches the whole path, from the root's base name
//     ("site/uploads/**") or from inside the root ("uploads/**").
func match(g, p string) bool {
	if !strings.Contains(g, "/") {
		ok, _ := doublestar.Match(g, path.Base(p))
		return ok
	}
	if ok, _ := doublestar.Match(g, p); ok {
		return true
	}
	_, inRoot, found := strings.Cut(p, "/")
	if !found {
		return false
	}
	ok, _ := doublestar.Match(g, inRoot)
	return ok
}

// matchAny says whether p or one of its parents matches one of globs: a
// matching directory brings everything below it.
func matchAny(globs []string, p string) bool {
	for q := p; q != "." && q != "/" && q != ""; q = path.Dir(q) {
		for _, g := range globs {
			if match(g, q) {
				return true
			}
		}
	}
	return false
}
