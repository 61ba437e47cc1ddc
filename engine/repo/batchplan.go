package repo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

const (
	// batchGap: two needed blobs of a pack at most this many bytes apart
	// are read by one range request (the bytes between are read and
	// dropped); further apart, by two.
	batchGap = 1 << 20
	// batchReaders is how many range reads a batch has in flight.
	batchReaders = 4
)

// A batchTarget is where a blob's plaintext goes: a file of the batch and
// an offset in it.
type batchTarget struct {
	file int
	off  int64
}

// A batchBlob is a blob the batch needs, with every place it goes.
type batchBlob struct {
	id      pack.ID
	loc     index.Location
	targets []batchTarget
}

// batchFile is the state of one file of a batch.
type batchFile struct {
	bf   provider.BatchFile
	left int  // targets not yet written
	over bool // Done was called
}

// batchPlan is a batch's needed blobs, by id, and its files' progress.
type batchPlan struct {
	r     *Repository
	mu    sync.Mutex
	files []batchFile
	blobs map[pack.ID]*batchBlob
	packs []pack.ID // in the order first needed
}

// ReadBatch implements provider.Batcher: it plans which blobs of which
// packs the files need, then reads each pack's needed blobs in ranges
// (see batchPlan.ranges), once for all the files, and writes each blob to
// every place that needs it.
func (t *tree) ReadBatch(ctx context.Context, files []provider.BatchFile) error {
	p := &batchPlan{r: t.r, files: make([]batchFile, len(files)), blobs: map[pack.ID]*batchBlob{}}
	for i, bf := range files {
		p.files[i].bf = bf
		if err := p.add(ctx, i); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			p.fail(i, fmt.Errorf("read %s: %w", bf.Entry.Path, err))
		}
	}
	for i := range p.files {
		if p.files[i].left == 0 {
			p.finish(i, nil)
		}
	}
	return p.read(ctx)
}

// add plans file i: each of its blobs, at its offset.
func (p *batchPlan) add(ctx context.Context, i int) error {
	e := p.files[i].bf.Entry
	h, ok := e.Handle.(*handle)
	if !ok || e.Kind != provider.KindFile {
		return errors.New("not a file entry of this tree")
	}
	var off int64
	plan := func(ids []pack.ID) error {
		for _, id := range ids {
			n, err := p.need(ctx, id, i, off)
			if err != nil {
				return err
			}
			off += n
		}
		return nil
	}
	var err error
	if h.list == nil || len(h.content) > 0 {
		err = plan(h.content)
	} else {
		err = p.r.eachList(ctx, *h.list, h.size, func(_ pack.ID, level int, ids []pack.ID) error {
			if level == 0 {
				return plan(ids)
			}
			return nil
		})
	}
	if err == nil && off != h.size {
		err = fmt.Errorf("%w: content is %d bytes, entry says %d", errDamaged, off, h.size)
	}
	return err
}

// need adds the blob id at off of file i and returns its plain length.
func (p *batchPlan) need(ctx context.Context, id pack.ID, file int, off int64) (int64, error) {
	b := p.blobs[id]
	if b == nil {
		loc, err := p.r.lookup(ctx, id)
		switch {
		case err != nil:
			return 0, err
		case loc.Kind != pack.KindData:
			return 0, fmt.Errorf("blob %s: is %s, want %s: %w", id, loc.Kind, pack.KindData, errDamaged)
		case int64(loc.RawLen) > int64(p.r.lim.blobRaw) || int64(loc.Length) > int64(p.r.lim.blobRaw)+1024:
			return 0, fmt.Errorf("blob %s: %w: %d bytes is over the blob limit", id, errDamaged, loc.Length)
		}
		b = &batchBlob{id: id, loc: loc}
		p.blobs[id] = b
		if !slices.Contains(p.packs, loc.Pack) {
			p.packs = append(p.packs, loc.Pack)
		}
	}
	b.targets = append(b.targets, batchTarget{file: file, off: off})
	p.files[file].left++
	return int64(b.loc.RawLen), nil
}

// A packRange is one range read: blobs of one pack in offset order.
type packRange struct {
	pack     pack.ID
	off, end int64
	blobs    []*batchBlob
}

// ranges groups the needed blobs by pack, in offset order, and splits a
// pack's where more than batchGap bytes lie between two of them.
func (p *batchPlan) ranges() []packRange {
	by := map[pack.ID][]*batchBlob{}
	for _, b := range p.blobs {
		by[b.loc.Pack] = append(by[b.loc.Pack], b)
	}
	var out []packRange
	for _, id := range p.packs {
		bs := by[id]
		slices.SortFunc(bs, func(a, b *batchBlob) int { return int(a.loc.Offset) - int(b.loc.Offset) })
		var cur *packRange
		for _, b := range bs {
			off, end := int64(b.loc.Offset), int64(b.loc.Offset)+int64(b.loc.Length)
			if cur == nil || off-cur.end > batchGap || off < cur.end {
				out = append(out, packRange{pack: id, off: off, end: end})
				cur = &out[len(out)-1]
			}
			cur.blobs = append(cur.blobs, b)
			cur.end = max(cur.end, end)
		}
	}
	return out
}

// fail ends file i with err, unless it is over.
func (p *batchPlan) fail(i int, err error) {
	p.finish(i, err)
}

// finish calls file i's Done once.
func (p *batchPlan) finish(i int, err error) {
	p.mu.Lock()
	f := &p.files[i]
	over := f.over
	f.over = true
	p.mu.Unlock()
	if !over {
		f.bf.Done(err)
	}
}

// wanted says whether file i still takes writes.
func (p *batchPlan) wanted(i int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.files[i].over
}

// wrote counts one target of file i written and finishes the file when
// it was the last.
func (p *batchPlan) wrote(i int) {
	p.mu.Lock()
	f := &p.files[i]
	f.left--
	last := f.left == 0
	p.mu.Unlock()
	if last {
		p.finish(i, nil)
	}
}
