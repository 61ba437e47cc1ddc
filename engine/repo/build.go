package repo

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func parentDir(p string) string {
	d := path.Dir(p)
	if d == "." {
		return ""
	}
	return d
}

// buildTrees stores the source's trees from its records and returns the
// root tree's id and the number of nodes below it (the manifest's
// Entries). Caller holds sw.mu.
func (sw *SourceWriter) buildTrees(ctx context.Context) (pack.ID, int64, error) {
	b := sw.newTreeBuilder(ctx)
	if err := sw.runs.each(b.add); err != nil {
		return pack.ID{}, 0, err
	}
	root, err := b.finish()
	return root, b.nodes, err
}

// treeBuilder turns a source's records, in path order (comparePaths),
// into tree blobs. It keeps one open directory per level of the current
// path; each encodes its nodes into parts as they come (partEncoder), so
// the memory it takes does not grow with the size of a directory. A
// directory is stored when the records leave it, and its node, now with
// its subtree, goes to its parent.
type treeBuilder struct {
	sw    *SourceWriter
	ctx   context.Context
	open  []*dirFrame // open[0] is the source's root
	prev  string      // the last record's path
	count int
	nodes int64 // nodes added to trees
}

// dirFrame is one open directory.
type dirFrame struct {
	path string
	node []byte // its own record's JSON; nil for the root or a directory never Put
	enc  partEncoder
	last string // name of the last node added
}

func (sw *SourceWriter) newTreeBuilder(ctx context.Context) *treeBuilder {
	b := &treeBuilder{sw: sw, ctx: ctx}
	b.open = []*dirFrame{b.frame("", nil)}
	return b
}

func (b *treeBuilder) frame(p string, node []byte) *dirFrame {
	return &dirFrame{path: p, node: node, enc: partEncoder{sw: b.sw, ctx: b.ctx, lim: b.sw.w.r.lim}}
}

func (b *treeBuilder) top() *dirFrame { return b.open[len(b.open)-1] }

// add places one record; records come in path order.
func (b *treeBuilder) add(rec record) error {
	if b.count > 0 && rec.path == b.prev {
		return fmt.Errorf("put %s: duplicate entry", rec.path)
	}
	b.prev, b.count = rec.path, b.count+1
	dir := parentDir(rec.path)
	for !within(dir, b.top().path) {
		if err := b.closeTop(); err != nil {
			return err
		}
	}
	for b.top().path != dir { // directories never Put get a default node
		name, _, _ := strings.Cut(strings.TrimPrefix(dir[len(b.top().path):], "/"), "/")
		if err := b.push(path.Join(b.top().path, name), nil); err != nil {
			return err
		}
	}
	if rec.dir {
		return b.push(rec.path, rec.node)
	}
	t := b.top()
	t.last = baseName(rec.path)
	b.nodes++
	return t.enc.add(rec.node)
}

// within says whether dir is d or lies below it.
func within(dir, d string) bool {
	return d == "" || dir == d || strings.HasPrefix(dir, d+"/")
}

// push opens directory p below the top one. A node of another kind with
// the same name was added just before it (path order): that is a file
// with entries below it.
func (b *treeBuilder) push(p string, node []byte) error {
	t := b.top()
	name := baseName(p)
	if t.last == name {
		return fmt.Errorf("%s is not a directory but has entries below it", p)
	}
	t.last = name
	b.open = append(b.open, b.frame(p, node))
	return nil
}

// closeTop stores the top directory and adds its node to its parent.
func (b *treeBuilder) closeTop() error {
	t := b.top()
	b.open = b.open[:len(b.open)-1]
	id, err := t.enc.finish()
	if err != nil {
		return fmt.Errorf("tree of %s: %w", t.path, err)
	}
	n := node{Name: baseName(t.path), Kind: provider.KindDir, Mode: 0o755}
	if t.node != nil {
		if err := json.Unmarshal(t.node, &n); err != nil {
			return fmt.Errorf("tree of %s: %w", t.path, err)
		}
	}
	n.Subtree = &id
	data, err := json.Marshal(n.toWire())
	if err != nil {
		return err
	}
	b.nodes++
	return b.top().enc.add(data)
}

// finish closes every open directory and returns the root tree's id.
func (b *treeBuilder) finish() (pack.ID, error) {
	for len(b.open) > 1 {
		if err := b.closeTop(); err != nil {
			return pack.ID{}, err
		}
	}
	return b.open[0].enc.finish()
}

// partEncoder encodes one directory's nodes, given in name order, into
// the bytes encodeTree makes of them: one tree blob while they fit in
// lim.treePart, else parts cut at the same places, each stored as soon as
// it is full, and the list of them.
type partEncoder struct {
	sw    *SourceWriter
	ctx   context.Context
	lim   limits
	buf   []byte // `{"nodes":[` and the current part's nodes
	size  int    // as encodeTree counts: each node's bytes plus one
	parts []pack.ID
}

const nodesOpen, nodesClose = `{"nodes":[`, `]}`

func (e *partEncoder) add(js []byte) error {
	if e.size > 0 && e.size+len(js)+1 > e.lim.treePart {
		if err := e.cut(); err != nil {
			return err
		}
	}
	if e.size == 0 {
		e.buf = append(e.buf[:0], nodesOpen...)
	} else {
		e.buf = append(e.buf, ',')
	}
	e.buf = append(e.buf, js...)
	e.size += len(js) + 1
	return nil
}

// cut stores the current part.
func (e *partEncoder) cut() error {
	if len(e.parts)+1 >= e.lim.parts {
		return fmt.Errorf("encode tree: entries need more than %d parts", e.lim.parts)
	}
	id, err := e.sw.storeTree(e.ctx, append(e.buf, nodesClose...))
	if err != nil {
		return err
	}
	// The pipeline keeps the stored bytes: the next part gets a new buffer.
	e.parts, e.buf, e.size = append(e.parts, id), nil, 0
	return nil
}

func (e *partEncoder) finish() (pack.ID, error) {
	if e.size == 0 {
		e.buf = append(e.buf[:0], nodesOpen...)
	}
	data := append(e.buf, nodesClose...)
	if len(e.parts) == 0 {
		return e.sw.storeTree(e.ctx, data)
	}
	id, err := e.sw.storeTree(e.ctx, data)
	if err != nil {
		return id, err
	}
	doc, err := json.Marshal(partsDoc{Parts: append(e.parts, id)})
	if err != nil {
		return pack.ID{}, err
	}
	return e.sw.storeTree(e.ctx, doc)
}
