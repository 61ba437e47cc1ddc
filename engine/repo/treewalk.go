package repo

import (
	"context"
	"fmt"

	"github.com/velinhq/velin/engine/repo/pack"
)

// treeReadError is eachNode's failure to read or decode the tree itself,
// told apart from an error of its callback.
type treeReadError struct{ err error }

func (e *treeReadError) Error() string { return e.err.Error() }
func (e *treeReadError) Unwrap() error { return e.err }

// eachNode calls fn with the nodes of tree id in name order, content lists
// expanded unless lazy (then a long file's node keeps only its
// ContentList, for a reader to stream with eachList). A directory split into parts is read one part at a time, so
// its nodes are never all in memory, whatever its size: the tree cache
// keeps trees of one blob only.
// Reading errors come back as *treeReadError; fn's as they are.
func (r *Repository) eachNode(ctx context.Context, id pack.ID, lazy bool, fn func(node) error) error {
	if t, ok := r.trees.get(id); ok {
		return eachOf(t.nodes, fn)
	}
	data, err := r.loadBlob(ctx, id, pack.KindTree)
	if err != nil {
		return &treeReadError{err}
	}
	nodes, parts, err := decodeTree(data, r.lim)
	if err != nil {
		return &treeReadError{err}
	}
	if parts == nil {
		t := treeBlob{nodes: nodes, size: len(data)}
		if lazy && hasLists(nodes) {
			return eachOf(t.nodes, fn) // not cached: others want lists expanded
		}
		if err := r.expandLists(ctx, &t); err != nil {
			return &treeReadError{err}
		}
		r.trees.put(id, t)
		return eachOf(t.nodes, fn)
	}
	last := ""
	for i, pid := range parts {
		t, err := r.loadPart(ctx, pid, lazy)
		if err != nil {
			return &treeReadError{err}
		}
		if i > 0 && last >= t.nodes[0].Name {
			return &treeReadError{fmt.Errorf("tree part %s: names not sorted across parts", pid)}
		}
		last = t.nodes[len(t.nodes)-1].Name
		if err := eachOf(t.nodes, fn); err != nil {
			return err
		}
	}
	return nil
}

func eachOf(nodes []node, fn func(node) error) error {
	for _, n := range nodes {
		if err := fn(n); err != nil {
			return err
		}
	}
	return nil
}

// loadPart reads one part of a split tree, content lists expanded unless
// lazy. Parts
// bypass the tree cache: a walk of a directory larger than the cache would
// evict each part before its next walk came back to it, and the decoded
// nodes of the parts it kept (up to twice their plaintext) would be most
// of the walk's memory.
func (r *Repository) loadPart(ctx context.Context, id pack.ID, lazy bool) (treeBlob, error) {
	var t treeBlob
	nodes, err := r.readPart(ctx, id, &t)
	if err != nil {
		return t, err
	}
	t = treeBlob{nodes: nodes, size: t.size}
	if lazy {
		return t, nil
	}
	return t, r.expandLists(ctx, &t)
}

// expandLists reads the content lists of t's long files into their
// Content, and adds the lists to t.meta and their size to t.size (a tree
// naming a long stream's chunk ids is too large for the tree cache).
func (r *Repository) expandLists(ctx context.Context, t *treeBlob) error {
	for i := range t.nodes {
		n := &t.nodes[i]
		if n.ContentList == nil {
			continue
		}
		var err error
		if n.Content, n.lists, err = r.readList(ctx, *n.ContentList, n.Size); err != nil {
			return fmt.Errorf("file %s: %w", n.Name, err)
		}
		t.meta = append(t.meta, n.lists...)
		t.size += 32 * (len(n.Content) + len(n.lists))
	}
	return nil
}

// hasLists tells whether some node names its content with a content list.
func hasLists(nodes []node) bool {
	for i := range nodes {
		if nodes[i].ContentList != nil {
			return true
		}
	}
	return false
}
