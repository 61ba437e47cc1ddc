package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	chunkers "github.com/PlakarKorp/go-cdc-chunkers"
	_ "github.com/PlakarKorp/go-cdc-chunkers/chunkers/fastcdc" // registers fastcdc-v1.0.0

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

// SourceWriter receives one source's entries; it implements provider.Sink.
// Put and Reuse may be called from several goroutines at once.
type SourceWriter struct {
	w              *SnapshotWriter
	typ, name, key string

	mu     sync.Mutex
	runs   *entryRuns // the entries Put so far, for the trees built by Finish
	done   bool
	result SourceManifest

	files, bytes, stored atomic.Int64
	sumOnce              atomic.Bool // the first file's content is hashed
	sum                  string      // "sha256:…" of that file (under mu)

	parentOnce sync.Once
	parent     *parentIndex // lazily loaded parent tree, by path (see parentOf)
	parentMem  int          // bytes of parent records kept in memory (parentMemBytes)
	parentWarn sync.Once
}

var _ provider.Sink = (*SourceWriter)(nil)

func newSourceWriter(w *SnapshotWriter, typ, name string) *SourceWriter {
	return &SourceWriter{w: w, typ: typ, name: name, key: SourceKey(typ, name), runs: newEntryRuns(runBytes),
		parentMem: parentMemBytes}
}

func (sw *SourceWriter) finished() bool {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return sw.done
}

// Put stores one entry; for a file it reads r to EOF (r nil = empty).
func (sw *SourceWriter) Put(ctx context.Context, e provider.Entry, r io.Reader) error {
	if err := sw.w.begin(); err != nil {
		return fmt.Errorf("put %s: %w", e.Path, err)
	}
	defer sw.w.end()
	if err := checkEntry(e, sw.w.r.lim); err != nil {
		return err
	}
	n := nodeFromEntry(baseName(e.Path), e)
	if e.Kind == provider.KindFile {
		ids, list, size, err := sw.store(ctx, e.Path, r)
		if err != nil {
			return err
		}
		n.Content, n.ContentList, n.Size = ids, list, size
		sw.classify(e.Path, n)
		sw.files.Add(1)
		sw.bytes.Add(size)
		sw.w.files.Add(1)
	} else {
		n.Size = 0
	}
	return sw.record(ctx, e.Path, n)
}

func checkEntry(e provider.Entry, lim limits) error {
	if !validPath(e.Path) {
		return fmt.Errorf("put %q: invalid path", e.Path)
	}
	if strings.Count(e.Path, "/") >= lim.treeDepth {
		return fmt.Errorf("put %s: more than %d directory levels: velin does not back up a tree this deep", shortPath(e.Path), lim.treeDepth)
	}
	switch e.Kind {
	case provider.KindFile, provider.KindDir:
	case provider.KindSymlink, provider.KindHardlink:
		if e.Target == "" {
			return fmt.Errorf("put %s: %s without target", e.Path, e.Kind)
		}
	default:
		return fmt.Errorf("put %s: unknown kind %q", e.Path, e.Kind)
	}
	if err := checkMeta(e.Meta); err != nil {
		return fmt.Errorf("put %s: %w", e.Path, err)
	}
	return nil
}

// record keeps the node of path for Finish, encoded as its tree will hold
// it: the content of a long file moves to content lists first. A
// duplicate path is found by Finish.
func (sw *SourceWriter) record(ctx context.Context, path string, n node) error {
	if n.ContentList == nil && len(n.Content) > sw.w.r.lim.inlineContent {
		id, err := sw.storeList(ctx, n.Content)
		if err != nil {
			return fmt.Errorf("put %s: content list: %w", path, err)
		}
		n.ContentList = &id
	}
	data, err := json.Marshal(n.toWire())
	if err != nil {
		return fmt.Errorf("put %s: %w", path, err)
	}
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if sw.done || sw.runs == nil {
		return fmt.Errorf("put %s: source %s already finished", path, sw.key)
	}
	if err := sw.runs.add(record{path: path, dir: n.Kind == provider.KindDir, node: data}); err != nil {
		return fmt.Errorf("put %s: %w", path, err)
	}
	return nil
}

// drop releases the entries of a source that will not be finished.
func (sw *SourceWriter) drop() {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if sw.runs != nil {
		sw.runs.close()
	}
	sw.closeParent()
}

// store chunks r on the calling goroutine, hashes each chunk, and queues
// the new ones to the pipeline. It returns the chunk ids, or for a long
// stream the top of the content lists it stored as it went, and the size
// read.
func (sw *SourceWriter) store(ctx context.Context, path string, r io.Reader) ([]pack.ID, *pack.ID, int64, error) {
	if r == nil {
		return nil, nil, 0, nil
	}
	var h hash.Hash
	if sw.sumOnce.CompareAndSwap(false, true) {
		h = sha256.New()
		r = io.TeeReader(r, h)
	}
	ch, err := sw.w.r.getChunker(r)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("put %s: %w", path, err)
	}
	defer sw.w.r.putChunker(ch)
	lw := listWriter{sw: sw}
	hint := new(streamHint)
	var size int64
	for {
		chunk, cerr := ch.Next()
		if cerr != nil && cerr != io.EOF {
			return nil, nil, 0, fmt.Errorf("put %s: read: %w", path, cerr)
		}
		if len(chunk) > 0 {
			id, err := sw.storeChunk(ctx, chunk, hint)
			if err == nil {
				err = lw.add(ctx, id)
			}
			if err != nil {
				return nil, nil, 0, fmt.Errorf("put %s: %w", path, err)
			}
			size += int64(len(chunk))
		}
		if cerr == io.EOF {
			break
		}
	}
	if h != nil {
		sw.mu.Lock()
		sw.sum = "sha256:" + hex.EncodeToString(h.Sum(nil))
		sw.mu.Unlock()
	}
	ids, list, err := lw.finish(ctx)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("put %s: content list: %w", path, err)
	}
	return ids, list, size, nil
}

func (sw *SourceWriter) storeChunk(ctx context.Context, chunk []byte, hint *streamHint) (pack.ID, error) {
	w := sw.w
	id := pack.ID(w.r.key.BlobID(chunk))
	w.read.Add(int64(len(chunk)))
	if !w.p.reserve(id) {
		return id, nil
	}
	return id, w.p.submit(ctx, job{kind: pack.KindData, id: id, data: chunk, stored: sw.account, hint: hint}, true)
}

// account counts a new blob's bytes for this source and the writer.
func (sw *SourceWriter) account(raw, stored int64) {
	sw.stored.Add(stored)
	sw.w.newBytes.Add(raw)
	sw.w.stored.Add(stored)
}

// getChunker returns a pooled FastCDC chunker over rd with the
// repository's parameters and key; putChunker returns it.
func (r *Repository) getChunker(rd io.Reader) (*chunkers.Chunker, error) {
	if ch, ok := r.chunkers.Get().(*chunkers.Chunker); ok {
		ch.Reset(rd)
		return ch, nil
	}
	c := r.cfg.Chunker
	return chunkers.NewChunkerBuffer(c.Algorithm, rd, &chunkers.ChunkerOpts{
		MinSize: c.MinSize, NormalSize: c.NormalSize, MaxSize: c.MaxSize, Key: r.key.ChunkerKey()},
		make([]byte, 2*c.MaxSize))
}

func (r *Repository) putChunker(ch *chunkers.Chunker) {
	ch.Reset(nil)
	r.chunkers.Put(ch)
}

// classify counts a stored file as new, changed or unmodified compared
// with the previous snapshot.
func (sw *SourceWriter) classify(path string, n node) {
	pn, ok := sw.parentOf(path)
	switch {
	case !ok || pn.Kind != provider.KindFile:
		sw.w.filesNew.Add(1)
	case n.ContentList != nil && pn.ContentList != nil && *n.ContentList == *pn.ContentList,
		n.ContentList == nil && slices.Equal(pn.Content, n.Content):
		sw.w.filesSame.Add(1)
	default:
		sw.w.filesChanged.Add(1)
	}
}

// Parent returns the entry at path in the parent snapshot of this source.
// A file whose content is no longer all indexed (a lost pack dropped by
// `repair index`) has no usable parent entry, so it is read again.
func (sw *SourceWriter) Parent(path string) (provider.Entry, bool) {
	if sw.w.meta.Parent == nil {
		return provider.Entry{}, false
	}
	n, ok := sw.parentOf(path)
	if !ok {
		return provider.Entry{}, false
	}
	for _, id := range n.Content {
		if !sw.w.r.idx.Has(id) {
			return provider.Entry{}, false
		}
	}
	return n.entry(path), true
}

// Reuse stores e with the content recorded in the parent snapshot, reading
// nothing.
func (sw *SourceWriter) Reuse(ctx context.Context, e provider.Entry) error {
	if err := sw.w.begin(); err != nil {
		return fmt.Errorf("reuse %s: %w", e.Path, err)
	}
	defer sw.w.end()
	pn, ok := sw.parentOf(e.Path)
	if !ok || sw.w.meta.Parent == nil || pn.Kind != provider.KindFile || e.Kind != provider.KindFile {
		return fmt.Errorf("reuse %s: no file at this path in the parent snapshot", e.Path)
	}
	if err := checkEntry(e, sw.w.r.lim); err != nil {
		return err
	}
	for _, id := range pn.Content {
		if !sw.w.r.idx.Has(id) {
			return fmt.Errorf("reuse %s: parent content %s is missing", e.Path, id)
		}
	}
	n := nodeFromEntry(baseName(e.Path), e)
	n.Content, n.Size = pn.Content, pn.Size
	if ps := sw.w.meta.Parent.Source(sw.key); ps != nil && ps.Files == 1 && sw.sumOnce.CompareAndSwap(false, true) {
		sw.mu.Lock()
		sw.sum = ps.Checksum // same content as the parent's single file
		sw.mu.Unlock()
	}
	sw.files.Add(1)
	sw.bytes.Add(pn.Size)
	sw.w.files.Add(1)
	sw.w.filesSame.Add(1)
	sw.w.reused.Add(pn.Size)
	return sw.record(ctx, e.Path, n)
}

// Finish builds the source's trees bottom-up and records its manifest part.
func (sw *SourceWriter) Finish(ctx context.Context, facts provider.Facts) error {
	if err := sw.w.begin(); err != nil {
		return fmt.Errorf("finish %s: %w", sw.key, err)
	}
	defer sw.w.end()
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if sw.done {
		return fmt.Errorf("finish %s: already finished", sw.key)
	}
	if sw.runs == nil {
		return fmt.Errorf("finish %s: an earlier Finish failed", sw.key)
	}
	root, entries, err := sw.buildTrees(ctx)
	sw.runs.close()
	sw.closeParent()
	sw.runs = nil // its entries are gone: a second Finish must not build an empty tree
	if err != nil {
		return fmt.Errorf("finish %s: %w", sw.key, err)
	}
	sw.done = true
	sw.result = SourceManifest{Key: sw.key, Type: sw.typ, Name: sw.name, Identity: facts.Identity,
		ServerVersion: facts.ServerVersion, Files: sw.files.Load(), Entries: entries, Bytes: sw.bytes.Load(),
		Rows: facts.Rows, Tables: facts.Tables, Root: root.String(),
		Skipped: facts.Skipped, Incomplete: facts.Incomplete, Links: facts.Links, Details: facts.Details}
	if sw.files.Load() == 1 {
		sw.result.Checksum = sw.sum
	}
	// Tree blobs are stored by the pipeline; their bytes are counted at Flush.
	return nil
}

// storeTree queues an encoded tree blob and returns its id.
func (sw *SourceWriter) storeTree(ctx context.Context, data []byte) (pack.ID, error) {
	w := sw.w
	if len(data) > w.r.lim.blobRaw {
		// Never commit what no reader could read back.
		return pack.ID{}, fmt.Errorf("store tree: %d bytes is over the %d-byte blob limit", len(data), w.r.lim.blobRaw)
	}
	id := pack.ID(w.r.key.BlobID(data))
	if !w.p.reserve(id) {
		return id, nil
	}
	return id, w.p.submit(ctx, job{kind: pack.KindTree, id: id, data: data, stored: sw.account}, false)
}
