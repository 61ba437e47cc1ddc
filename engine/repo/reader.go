package repo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

// prefetch is how many decoded chunks a file reader keeps ready.
const prefetch = 4

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

func (t *tree) Open(ctx context.Context, e provider.Entry) (io.ReadCloser, error) {
	h, ok := e.Handle.(*handle)
	if !ok || e.Kind != provider.KindFile {
		return nil, fmt.Errorf("open %s: not a file entry of this tree", e.Path)
	}
	ctx, cancel := context.WithCancel(ctx)
	fr := &fileReader{r: t.r, path: e.Path, ch: make(chan chunkResult, prefetch), cancel: cancel}
	go fr.fetchFile(ctx, h)
	return fr, nil
}

// fetchFile fetches the file's chunks: its content, or, when its content
// lists were not expanded, each level-0 list's chunks in turn (one list of
// ids per level in memory, however long the file).
func (fr *fileReader) fetchFile(ctx context.Context, h *handle) {
	defer close(fr.ch)
	if h.list == nil || len(h.content) > 0 {
		fr.fetch(ctx, h.content)
		return
	}
	stopped := errors.New("fetch stopped") // a fetch sent an error or lost its reader
	err := fr.r.eachList(ctx, *h.list, h.size, func(_ pack.ID, level int, ids []pack.ID) error {
		if level == 0 && !fr.fetch(ctx, ids) {
			return stopped
		}
		return nil
	})
	if err != nil && !errors.Is(err, stopped) {
		fr.send(ctx, chunkResult{err: err})
	}
}

type chunkResult struct {
	buf *[]byte // the chunk, in a buffer of the read pool
	err error
}

// fileReader streams a file's chunks; a goroutine fetches and
// authenticates up to prefetch chunks ahead. Chunk buffers go back to the
// repository's pool once written out.
type fileReader struct {
	r      *Repository
	path   string
	ch     chan chunkResult
	cancel context.CancelFunc
	buf    *[]byte // the chunk being read (nil when none)
	cur    []byte  // its unread part
	err    error
}

// fetch loads the chunks ids in order, each run of chunks that lie close
// together in a pack with one read (see blobRun), and stops at the first
// error, after sending it. It tells whether all were sent.
func (fr *fileReader) fetch(ctx context.Context, ids []pack.ID) bool {
	emit := func(buf *[]byte, err error) bool {
		return fr.send(ctx, chunkResult{buf, err})
	}
	for len(ids) > 0 {
		run, err := fr.r.nextRun(ctx, ids)
		if err != nil {
			emit(nil, err)
			return false
		}
		if !fr.r.loadRun(ctx, run, emit) {
			return false // an error was sent, or the reader is gone
		}
		ids = ids[len(run.ids):]
	}
	return true
}

// send passes res to the reader and tells whether fetching goes on.
func (fr *fileReader) send(ctx context.Context, res chunkResult) bool {
	select {
	case fr.ch <- res:
		return res.err == nil
	case <-ctx.Done():
		fr.r.putBuf(res.buf)
		return false
	}
}

// next releases the finished chunk and waits for the following one.
func (fr *fileReader) next() {
	fr.r.putBuf(fr.buf)
	fr.buf, fr.cur = nil, nil
	res, ok := <-fr.ch
	switch {
	case !ok:
		fr.err = io.EOF
	case res.err != nil:
		fr.err = fmt.Errorf("read %s: %w", fr.path, res.err)
	default:
		fr.buf, fr.cur = res.buf, *res.buf
	}
}

func (fr *fileReader) Read(p []byte) (int, error) {
	for len(fr.cur) == 0 {
		if fr.err != nil {
			return 0, fr.err
		}
		fr.next()
	}
	n := copy(p, fr.cur)
	fr.cur = fr.cur[n:]
	return n, nil
}

// WriteTo lets io.Copy skip an intermediate buffer.
func (fr *fileReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(fr.cur) > 0 {
			n, err := w.Write(fr.cur)
			total += int64(n)
			fr.cur = fr.cur[n:]
			if err != nil {
				return total, err
			}
		}
		if fr.err == nil {
			fr.next()
		}
		if fr.err == io.EOF {
			return total, nil
		}
		if fr.err != nil {
			return total, fr.err
		}
	}
}

func (fr *fileReader) Close() error {
	fr.cancel()
	fr.r.putBuf(fr.buf)
	fr.buf, fr.cur = nil, nil
	for res := range fr.ch { // let the fetcher exit
		fr.r.putBuf(res.buf)
	}
	return nil
}
