package repo

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

// walkTree visits every node below the tree root (hex id) depth-first,
// siblings in name order, a directory before its children, within the
// bounds of g.
// With lazy, long files' content lists are left for the reader to stream
// (node.Content is empty, node.ContentList set).
func (r *Repository) walkTree(ctx context.Context, g *walkGuard, root string, lazy bool, fn func(path string, n node) error) error {
	id, err := pack.ParseID(root)
	if err != nil {
		return fmt.Errorf("tree %q: %w", root, err)
	}
	return r.walkID(ctx, g, id, "", 0, lazy, fn)
}

func (r *Repository) walkID(ctx context.Context, g *walkGuard, id pack.ID, prefix string, depth int, lazy bool, fn func(string, node) error) error {
	err := r.eachNode(ctx, id, lazy, func(n node) error {
		p := joinPath(prefix, n.Name)
		if err := g.visit(p, depth+1); err != nil {
			return err
		}
		if err := fn(p, n); err != nil {
			return err
		}
		if n.Kind == provider.KindDir {
			return r.walkID(ctx, g, *n.Subtree, p, depth+1, lazy, fn)
		}
		return nil
	})
	var re *treeReadError
	switch {
	case !errors.As(err, &re):
		return err // nil, or fn's
	case prefix == "":
		return fmt.Errorf("root tree: %w", re.err)
	}
	return fmt.Errorf("tree of %s: %w", prefix, re.err)
}

// loadTree returns the nodes of a tree, from the tree cache when they are
// there. The nodes are shared: never modify them.
func (r *Repository) loadTree(ctx context.Context, id pack.ID) ([]node, error) {
	t, err := r.loadTreeBlob(ctx, id)
	return t.nodes, err
}

// loadTreeBlob is loadTree with the ids of the tree's parts and content
// lists (for prune).
func (r *Repository) loadTreeBlob(ctx context.Context, id pack.ID) (treeBlob, error) {
	if t, ok := r.trees.get(id); ok {
		return t, nil
	}
	t, err := r.readTree(ctx, id)
	if err != nil {
		return t, err
	}
	r.trees.put(id, t)
	return t, nil
}

// treeBlob is a decoded tree: its nodes, with the content of long files
// expanded, and the blobs that took besides the tree blob itself.
type treeBlob struct {
	nodes []node
	meta  []pack.ID // parts and content lists
	size  int       // plaintext bytes read (content lists: the ids the nodes keep)
}

// readTree reads and decodes a tree from storage, never from the cache:
// its parts, if it has some, and the content lists of its long files.
func (r *Repository) readTree(ctx context.Context, id pack.ID) (treeBlob, error) {
	var t treeBlob
	data, err := r.loadBlob(ctx, id, pack.KindTree)
	if err != nil {
		return t, err
	}
	t.size = len(data)
	nodes, parts, err := decodeTree(data, r.lim)
	if err != nil {
		return t, err
	}
	for _, pid := range parts {
		pn, err := r.readPart(ctx, pid, &t)
		if err != nil {
			return t, err
		}
		if len(nodes) > 0 && len(pn) > 0 && nodes[len(nodes)-1].Name >= pn[0].Name {
			return t, fmt.Errorf("tree part %s: names not sorted across parts", pid)
		}
		nodes = append(nodes, pn...)
	}
	t.nodes = nodes
	return t, r.expandLists(ctx, &t)
}

func (r *Repository) readPart(ctx context.Context, id pack.ID, t *treeBlob) ([]node, error) {
	data, err := r.loadBlob(ctx, id, pack.KindTree)
	if err != nil {
		return nil, fmt.Errorf("tree part %s: %w", id, err)
	}
	nodes, parts, err := decodeTree(data, r.lim)
	if err != nil || parts != nil {
		return nil, fmt.Errorf("tree part %s: %w", id, cmp.Or(err, errors.New("parts do not nest")))
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("tree part %s: empty", id)
	}
	t.meta = append(t.meta, id)
	t.size += len(data)
	return nodes, nil
}

// Tree returns one source of a snapshot for reading (sourceKey "files.site").
func (r *Repository) Tree(ctx context.Context, m *Manifest, sourceKey string) (provider.Tree, error) {
	s := m.Source(sourceKey)
	if s == nil {
		return nil, fmt.Errorf("snapshot %s has no source %s: %w", m.ID, sourceKey, ErrSnapshotNotFound)
	}
	if _, err := pack.ParseID(s.Root); err != nil {
		return nil, fmt.Errorf("snapshot %s source %s: %w", m.ID, sourceKey, err)
	}
	return &tree{r: r, m: m, s: s}, nil
}

type tree struct {
	r *Repository
	m *Manifest
	s *SourceManifest
}

// handle is what tree sets as Entry.Handle for files.
type handle struct {
	content []pack.ID
	list    *pack.ID // the top content list, streamed, when content is empty
	size    int64
}

func (t *tree) Walk(ctx context.Context, fn func(provider.Entry) error) error {
	return t.r.walkTree(ctx, t.r.newWalkGuard(t.m, t.s), t.s.Root, true, func(p string, n node) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := n.entry(p)
		if n.Kind == provider.KindFile {
			e.Handle = &handle{content: n.Content, list: n.ContentList, size: n.Size}
		}
		return fn(e)
	})
}
