package repo

import (
	"errors"
	"fmt"
)

// errTreeBounds marks a tree deeper than limits.treeDepth, or with more
// entries than its manifest records: damaged or forged (a "DAG bomb" whose
// directories name one subtree many times, so that 30 small tree blobs
// make 2³⁰ paths). It is refused, not followed.
var errTreeBounds = errors.New("the tree is damaged or forged")

// walkGuard bounds one walk of one source's tree: its depth, and the
// number of entries, which the honest writer records in the manifest
// (SourceManifest.Entries). A walk that visits every path (restore, diff,
// verify) follows a subtree as often as it is named, so only such a count
// bounds it; walks that visit each tree blob once (prune, check) bound
// only the depth.
type walkGuard struct {
	snapshot, source string
	maxDepth         int
	max, seen        int64
	at               string // where the walk was refused
}

// newWalkGuard bounds a walk of source s of snapshot m. A manifest written
// before Entries was recorded allows legacyEntries plus 4 per file.
func (r *Repository) newWalkGuard(m *Manifest, s *SourceManifest) *walkGuard {
	n := s.Entries
	if n <= 0 {
		n = int64(r.lim.legacyEntries) + 4*max(s.Files, 0)
	}
	return &walkGuard{snapshot: m.ID, source: s.Key, maxDepth: r.lim.treeDepth, max: n}
}

// visit counts the entry at path p, depth names below the root.
func (g *walkGuard) visit(p string, depth int) error {
	g.seen++
	if depth > g.maxDepth {
		return g.tooDeep(p)
	}
	if g.seen > g.max {
		g.at = p
		return fmt.Errorf("snapshot %s source %s: at %s: more entries than the %d its manifest records: %w",
			g.snapshot, g.source, shortPath(p), g.max, errTreeBounds)
	}
	return nil
}

func (g *walkGuard) tooDeep(p string) error {
	g.at = p
	return fmt.Errorf("snapshot %s source %s: at %s: more than %d directory levels: %w",
		g.snapshot, g.source, shortPath(p), g.maxDepth, errTreeBounds)
}

// deeper checks only the depth (walks that visit each tree blob once).
func (g *walkGuard) deeper(p string, depth int) error {
	if depth > g.maxDepth {
		return g.tooDeep(p)
	}
	return nil
}

// shortPath keeps an error readable when a forged path is thousands of
// names long.
func shortPath(p string) string {
	if len(p) <= 200 {
		return p
	}
	return p[:96] + "…" + p[len(p)-96:]
}
