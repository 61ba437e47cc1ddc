package repo

import (
	"context"
	"fmt"

	"github.com/velinhq/velin/engine/repo/pack"
)

// eachPart calls fn with the nodes of tree id one tree blob at a time: the
// tree blob itself (blob id, its nodes; none when it is split), then each
// of its parts in name order. A directory of any size is so never wholly
// in memory, only one part of it (at most limits.treePart encoded bytes).
// Content lists are not expanded: a long file's node keeps its ContentList
// for eachList. It reads storage, never the tree cache. Reading or
// decoding errors come back as *treeReadError; fn's as they are.
func (r *Repository) eachPart(ctx context.Context, id pack.ID, fn func(blob pack.ID, nodes []node) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := r.loadBlob(ctx, id, pack.KindTree)
	if err != nil {
		return &treeReadError{err}
	}
	nodes, parts, err := decodeTree(data, r.lim)
	if err != nil {
		return &treeReadError{err}
	}
	if err := fn(id, nodes); err != nil || parts == nil {
		return err
	}
	last := ""
	for i, pid := range parts {
		var t treeBlob
		pn, err := r.readPart(ctx, pid, &t)
		if err != nil {
			return &treeReadError{err}
		}
		if i > 0 && last >= pn[0].Name {
			return &treeReadError{fmt.Errorf("tree part %s: names not sorted across parts", pid)}
		}
		last = pn[len(pn)-1].Name
		if err := fn(pid, pn); err != nil {
			return err
		}
	}
	return nil
}

// nodeBlobs calls fn with the blobs node n references besides a subtree:
// its inline content (kind KindData), or each of its content lists (kind
// KindTree) followed, for a level-0 list, by the chunk ids it names, one
// list at a time (eachList), so a stream of any length is never expanded
// whole (a node whose lists were expanded into Content is read from its
// lists all the same).
func (r *Repository) nodeBlobs(ctx context.Context, n *node, fn func(kind pack.Kind, ids ...pack.ID) error) error {
	if n.ContentList == nil {
		return fn(pack.KindData, n.Content...)
	}
	return r.eachList(ctx, *n.ContentList, n.Size, func(list pack.ID, level int, ids []pack.ID) error {
		if err := fn(pack.KindTree, list); err != nil || level > 0 {
			return err
		}
		return fn(pack.KindData, ids...)
	})
}
