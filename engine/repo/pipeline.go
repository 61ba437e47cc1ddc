package repo

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
)

const (
	packTarget      = 16 << 20      // close a pack at this size
	packsPerIndex   = 8             // write an index after this many durable packs
	uploaders       = 2             // concurrent pack Puts
	packBuffers     = uploaders + 1 // packs in memory: one filling while each uploader writes one
	queuedPerWorker = 4             // in-flight chunks per worker (bounds memory)
)

// job is one new blob for the workers: plaintext in a pooled buffer.
type job struct {
	kind   pack.Kind
	id     pack.ID
	data   []byte
	pooled bool
	stored func(raw, stored int64) // accounting callback (may be nil)
	hint   *streamHint             // the stream's coder probes (nil: zstd)
}

// pipeline turns new blobs into durable packs and index files: a bounded
// pool of workers compresses and seals, one in-memory pack collects them,
// and uploaders Put full packs and write an index every packsPerIndex packs.
// Put of a blob is accepted once; reserve says whether a blob is new.
type pipeline struct {
	r      *Repository
	jobs   chan job
	packs  chan *pack.Builder
	bufs   sync.Pool // *[]byte of chunkMax capacity
	wg     sync.WaitGroup
	upWG   sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	cur     *pack.Builder
	pending map[pack.ID]struct{} // reserved this session, not yet indexed
	closed  bool

	// free holds the pipeline's packBuffers pack buffers while no pack
	// uses them (nil: not allocated yet). A pack is started only with a
	// buffer from free, so at most packBuffers packs are in memory at once
	// (filling, queued or uploading), and a long stream allocates them
	// once rather than 16 MiB of garbage per pack, which let the heap grow
	// to twice the packs in flight between collections.
	free chan []byte

	idxMu     sync.Mutex
	unindexed []index.Pack

	// trees writes the tree blobs stored to the local cache (nil: no
	// cache); a tree written there is found only once its pack and index
	// are stored (the index is looked up first).
	trees *treeCacher

	errOnce sync.Once
	err     atomic.Pointer[error]
}

func newPipeline(r *Repository) *pipeline {
	ctx, cancel := context.WithCancel(context.Background())
	n := runtime.NumCPU()
	p := &pipeline{r: r, jobs: make(chan job, n*queuedPerWorker), packs: make(chan *pack.Builder, 1),
		ctx: ctx, cancel: cancel, pending: map[pack.ID]struct{}{}, free: make(chan []byte, packBuffers),
		trees: newTreeCacher(r.cache)}
	for range packBuffers {
		p.free <- nil
	}
	p.bufs.New = func() any { b := make([]byte, 0, chunkMax); return &b }
	for range n {
		p.wg.Add(1)
		go p.worker()
	}
	for range uploaders {
		p.upWG.Add(1)
		go p.uploader()
	}
	return p
}

func (p *pipeline) fail(err error) {
	p.errOnce.Do(func() {
		p.err.Store(&err)
		p.cancel()
	})
}

// Err is the first error of the pipeline, if any.
func (p *pipeline) Err() error {
	if e := p.err.Load(); e != nil {
		return *e
	}
	return nil
}

// reserve reports whether id is new to the repository and this session,
// and if so claims it: the caller must then submit it.
func (p *pipeline) reserve(id pack.ID) bool {
	if p.r.idx.Has(id) {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.pending[id]; ok {
		return false
	}
	p.pending[id] = struct{}{}
	return true
}

// submit queues a reserved blob. data is copied into a pooled buffer when
// copyData is true (the caller's slice may be reused at once).
func (p *pipeline) submit(ctx context.Context, j job, copyData bool) error {
	if copyData && len(j.data) <= chunkMax {
		b := p.bufs.Get().(*[]byte)
		j.data, j.pooled = append((*b)[:0], j.data...), true
	}
	select {
	case p.jobs <- j:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.ctx.Done():
		return p.Err()
	}
}

func (p *pipeline) worker() {
	defer p.wg.Done()
	var sealed, scratch []byte
	coder := p.r.newCoder()
	for j := range p.jobs {
		if p.Err() == nil {
			var flags uint8
			sealed, scratch, flags = p.r.encodeBlob(coder, j.hint, sealed[:0], scratch, j.data, j.kind, j.id)
			if j.kind == pack.KindTree {
				p.trees.put(j.id, flags, len(j.data), sealed)
			}
			p.add(j, flags, sealed)
		}
		if j.pooled {
			d := j.data[:0]
			p.bufs.Put(&d)
		}
	}
}

// add appends a sealed blob to the current pack, handing full packs to
// the uploaders (blocking when they are busy: backpressure). A blob that
// would not fit in the pack's buffer with the header it makes (a content
// list or tree part of up to megabytes onto a nearly full pack) goes to
// the next pack: a pack never outgrows its buffer, whose growth by append
// was a further ~20 MB pack-sized allocation live at a long backup's peak.
func (p *pipeline) add(j job, flags uint8, sealed []byte) {
	p.mu.Lock()
	if p.cur != nil && p.cur.Count() > 0 && !p.fits(p.cur, len(sealed)) {
		full := p.cur
		p.cur = nil
		p.mu.Unlock()
		p.queue(full)
		p.mu.Lock()
	}
	if p.cur == nil {
		if p.cur = p.newBuilder(); p.cur == nil {
			p.mu.Unlock()
			return // failed
		}
	}
	p.cur.Add(j.kind, flags, j.id, sealed, len(j.data))
	var full *pack.Builder
	if p.cur.Size() >= p.r.packSize {
		full, p.cur = p.cur, nil
	}
	p.mu.Unlock()
	if j.stored != nil {
		j.stored(int64(len(j.data)), int64(len(sealed)))
	}
	if full != nil {
		p.queue(full)
	}
}

// queue hands a full pack to the uploaders.
func (p *pipeline) queue(b *pack.Builder) {
	select {
	case p.packs <- b:
	case <-p.ctx.Done():
	}
}

// fits tells whether a sealed blob of n bytes still fits in b's buffer
// with the header and trailer its pack will then have.
func (p *pipeline) fits(b *pack.Builder, n int) bool {
	return b.Size()+n+(b.Count()+1)*recordMax+packTrailerMax <= p.packCap()
}

// recordMax is the most a blob's header record takes (kind, flags, id and
// three uvarints of 32 bits); packTrailerMax bounds the rest of a pack
// after its blobs: the count, the seal's nonce and tag, the trailer.
const (
	recordMax      = 2 + 32 + 3*binary.MaxVarintLen32
	packTrailerMax = 256
)

// newBuilder starts a pack in a free buffer, waiting for one while all
// packBuffers are in use (backpressure: the uploaders are busy), and
// returns nil once the pipeline failed. A buffer not allocated yet comes
// from the repository's pool (an earlier pipeline's) or is made.
func (p *pipeline) newBuilder() *pack.Builder {
	var buf []byte
	select {
	case buf = <-p.free:
	case <-p.ctx.Done():
		return nil
	}
	if buf != nil {
		return pack.NewBuilderBuf(buf)
	}
	if b, ok := p.r.packBufs.Get().(*[]byte); ok && cap(*b) >= p.packCap() {
		return pack.NewBuilderBuf(*b)
	}
	return pack.NewBuilder(p.packCap())
}

// packCap is the capacity of a pack buffer: a pack closes at its first
// blob over packSize, and headroom takes its header and trailer.
func (p *pipeline) packCap() int { return p.r.packSize + chunkMax + packHeadroom }

// packHeadroom leaves room for a pack's header and trailer in its buffer.
const packHeadroom = 64 << 10

// release gives the buffer of a pack written out back to free.
func (p *pipeline) release(buf []byte) {
	p.free <- buf[:0]
}

// keepBuffers hands the pipeline's pack buffers to the repository's pool
// for the next pipeline (a copy or backup after this one) once it is done.
func (p *pipeline) keepBuffers() {
	for {
		select {
		case buf := <-p.free:
			if buf != nil {
				p.r.packBufs.Put(&buf)
			}
		default:
			return
		}
	}
}

func (p *pipeline) uploader() {
	defer p.upWG.Done()
	for b := range p.packs {
		if p.Err() != nil {
			continue
		}
		if err := p.upload(b); err != nil {
			p.fail(err)
		}
	}
}

func (p *pipeline) upload(b *pack.Builder) error {
	data, id, blobs := b.Finish(p.r.key)
	err := putBytes(p.ctx, p.r.st, packName(id), data, false)
	p.release(data) // Put does not keep what it read
	if err != nil {
		return fmt.Errorf("write pack %s: %w", id, err)
	}
	p.idxMu.Lock()
	defer p.idxMu.Unlock()
	p.unindexed = append(p.unindexed, index.Pack{ID: id, Blobs: blobs})
	if len(p.unindexed) < packsPerIndex {
		return nil
	}
	return p.flushIndex()
}

// flushIndex writes an index of the durable packs not indexed yet.
// Caller holds idxMu.
func (p *pipeline) flushIndex() error {
	if err := p.r.writeIndex(p.ctx, p.unindexed); err != nil {
		return err
	}
	p.mu.Lock()
	for _, ip := range p.unindexed {
		for _, b := range ip.Blobs {
			delete(p.pending, b.ID)
		}
	}
	p.mu.Unlock()
	p.unindexed = nil
	return nil
}

// close drains the workers, uploads the last pack and writes the last
// index. After close every reserved blob is durable and indexed, or an
// error is returned.
func (p *pipeline) close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return p.Err()
	}
	p.closed = true
	p.mu.Unlock()
	close(p.jobs)
	p.wg.Wait()
	p.mu.Lock()
	last := p.cur
	p.cur = nil
	p.mu.Unlock()
	if last != nil && last.Count() > 0 && p.Err() == nil {
		p.packs <- last
	}
	close(p.packs)
	defer p.trees.close() // the cache's writes overlap the last uploads
	p.upWG.Wait()
	p.keepBuffers()
	if err := p.Err(); err != nil {
		return err
	}
	p.idxMu.Lock()
	defer p.idxMu.Unlock()
	if err := p.flushIndex(); err != nil {
		p.fail(err)
		return err
	}
	return nil
}

// abort stops the pipeline without writing anything more.
func (p *pipeline) abort() {
	p.fail(context.Canceled)
	_ = p.close()
}
