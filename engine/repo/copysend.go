package repo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

// copyBatch is how many blob references a copy collects before it sends
// what the target lacks of them: a copy's memory for blob ids is this
// batch (32 bytes each, plus 56 per blob to send), whatever the snapshot's
// size, instead of a set of every blob.
const copyBatch = 16384

// copier is the state of one copyBlobs: the walk's current batch of blob
// references and the buffers it reuses for every run it reads.
type copier struct {
	src, dst *Repository
	p        *pipeline
	st       *CopyStats
	stored   atomic.Int64 // counted by dst's workers
	account  func(raw, stored int64)
	max      int // batch size
	batch    []pack.ID
	need     []neededBlob
	buf      []byte // one range read of src (at most runMax or one blob)
	scratch  []byte // an opened, still compressed blob
}

// copyBlobs sends every blob m references that dst lacks and returns the
// manifest to commit (m itself: the ids match). It walks each source's
// trees one tree blob (or part) and one content list at a time, and sends
// the blobs of each batch of batch references in src's pack order. It
// keeps no set of the snapshot's blobs: dst's index and its pipeline's
// reservations tell what dst has or is getting, so a blob named twice is
// sent once.
func copyBlobs(ctx context.Context, src, dst *Repository, m *Manifest, st *CopyStats, batch int) (*Manifest, error) {
	if err := dst.loadIndexes(ctx); err != nil { // blobs other processes added since Open
		return nil, err
	}
	c := &copier{src: src, dst: dst, p: newPipeline(dst), st: st, max: batch}
	c.account = func(_, n int64) { c.stored.Add(n) }
	if err := c.sources(ctx, m); err != nil {
		c.p.abort()
		return nil, err
	}
	if err := c.p.close(); err != nil {
		return nil, err
	}
	st.Stored = c.stored.Load()
	return m, nil
}

func (c *copier) sources(ctx context.Context, m *Manifest) error {
	for _, s := range m.Sources {
		root, err := pack.ParseID(s.Root)
		if err != nil {
			return fmt.Errorf("source %s: %w", s.Key, err)
		}
		if err := c.tree(ctx, c.src.newWalkGuard(m, &s), root, "", 0); err != nil {
			return fmt.Errorf("source %s: %w", s.Key, err)
		}
	}
	return c.flush(ctx)
}

// tree adds tree id, found at prefix (depth names below the root), and
// everything below it. A subtree named twice is walked twice (its blobs
// are sent once), within the bounds of g.
func (c *copier) tree(ctx context.Context, g *walkGuard, id pack.ID, prefix string, depth int) error {
	err := c.src.eachPart(ctx, id, func(blob pack.ID, nodes []node) error {
		if err := c.add(ctx, blob); err != nil {
			return err
		}
		for i := range nodes {
			if err := c.node(ctx, g, &nodes[i], joinPath(prefix, nodes[i].Name), depth+1); err != nil {
				return err
			}
		}
		return nil
	})
	if re := (*treeReadError)(nil); errors.As(err, &re) {
		return fmt.Errorf("tree of %s: %w", cmp.Or(prefix, "/"), re.err)
	}
	return err
}

func (c *copier) node(ctx context.Context, g *walkGuard, n *node, p string, depth int) error {
	if err := g.visit(p, depth); err != nil {
		return err
	}
	err := c.src.nodeBlobs(ctx, n, func(_ pack.Kind, ids ...pack.ID) error { return c.add(ctx, ids...) })
	if err != nil {
		return fmt.Errorf("file %s: %w", p, err)
	}
	if n.Kind == provider.KindDir {
		return c.tree(ctx, g, *n.Subtree, p, depth)
	}
	return nil
}

// add collects blob references, sending the batch when it is full.
func (c *copier) add(ctx context.Context, ids ...pack.ID) error {
	for _, id := range ids {
		c.batch = append(c.batch, id)
		if len(c.batch) >= c.max {
			if err := c.flush(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush sends the blobs of the batch that dst lacks, sorted by their
// place in src (pack, offset) so that reads move forward through packs.
func (c *copier) flush(ctx context.Context) error {
	need := c.need[:0]
	for _, id := range c.batch {
		if c.dst.idx.Has(id) {
			c.st.Reused++
			continue
		}
		if !c.p.reserve(id) {
			continue // sent already by this copy
		}
		loc, err := c.src.lookup(ctx, id)
		if err != nil {
			return err
		}
		need = append(need, neededBlob{id: id, loc: loc})
	}
	c.batch, c.need = c.batch[:0], need
	slices.SortFunc(need, func(a, b neededBlob) int {
		if d := slices.Compare(a.loc.Pack[:], b.loc.Pack[:]); d != 0 {
			return d
		}
		return cmp.Compare(a.loc.Offset, b.loc.Offset)
	})
	for len(need) > 0 {
		n := copyRun(need)
		if err := c.sendRun(ctx, need[:n]); err != nil {
			return err
		}
		need = need[n:]
	}
	return nil
}

// neededBlob is a blob to copy and where src has it.
type neededBlob struct {
	id  pack.ID
	loc index.Location
}

// copyRun is how many of need's first blobs one range read fetches: those
// of one pack within runMax bytes, as long as at most a quarter of the
// span is other blobs (need is in pack order).
func copyRun(need []neededBlob) int {
	first := need[0].loc
	off, useful := int64(first.Offset), int64(0)
	n := 0
	for i, b := range need {
		end := int64(b.loc.Offset) + int64(b.loc.Length)
		if i > 0 && (b.loc.Pack != first.Pack || end-off > runMax) {
			break
		}
		useful += int64(b.loc.Length)
		if span := end - off; i == 0 || span-useful <= span/4 {
			n = i + 1
		}
	}
	return n
}

// sendRun reads run (blobs of one pack, in order) with one range read into
// the copier's buffer, opens each blob with src's key (authenticated,
// checked against its id) into a buffer of dst's pipeline pool and queues
// it for dst's workers, which seal it with dst's key and give the buffer
// back: a copy allocates no buffer per blob.
func (c *copier) sendRun(ctx context.Context, run []neededBlob) error {
	first, last := run[0].loc, run[len(run)-1].loc
	off := int64(first.Offset)
	data, err := getRangeInto(ctx, c.src.st, packName(first.Pack), off, int64(last.Offset)+int64(last.Length)-off, c.buf)
	if err != nil {
		return fmt.Errorf("blob %s in pack %s: %w", run[0].id, first.Pack, err)
	}
	c.buf = data
	for _, b := range run {
		at := int64(b.loc.Offset) - off
		plain, pooled, err := c.open(data[at:at+int64(b.loc.Length)], b)
		if err != nil {
			return err
		}
		c.st.Blobs++
		c.st.Bytes += int64(len(plain))
		j := job{kind: b.loc.Kind, id: b.id, data: plain, pooled: pooled, stored: c.account}
		if err := c.p.submit(ctx, j, false); err != nil {
			return err
		}
	}
	return nil
}

// open decodes one stored blob into a pooled buffer (a new one for a blob
// larger than a chunk, such as a large tree part).
func (c *copier) open(stored []byte, b neededBlob) (plain []byte, pooled bool, err error) {
	raw := int(b.loc.RawLen)
	if raw > c.src.lim.blobRaw {
		return nil, false, fmt.Errorf("blob %s: %w: %d bytes is over the %d-byte blob limit", b.id, errDamaged, raw, c.src.lim.blobRaw)
	}
	var dst []byte
	if pooled = raw <= chunkMax; pooled {
		dst = (*c.p.bufs.Get().(*[]byte))[:0]
	} else {
		dst = make([]byte, 0, raw)
	}
	if cap(c.scratch) < len(stored) {
		c.scratch = make([]byte, 0, len(stored))
	}
	plain, err = c.src.decodeBlobTo(dst, c.scratch, stored, b.loc.Kind, b.id, b.loc.Flags, b.loc.RawLen)
	if err != nil && pooled {
		c.p.bufs.Put(&dst)
	}
	return plain, pooled, err
}
