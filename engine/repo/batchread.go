package repo

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/velinhq/velin/engine/repo/pack"
)

// batchBufSize is the read buffer of one range read.
const batchBufSize = 256 << 10

// read reads every range of the plan, batchReaders at once. The memory
// is each reader's: a read buffer, a blob as stored and as plaintext,
// whatever the size of the ranges (they are streamed).
func (p *batchPlan) read(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(batchReaders)
	for _, rg := range p.ranges() {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return p.readRange(gctx, rg) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// readRange streams rg and writes each of its blobs where the files need
// it. A blob that does not decode fails the files that need it; a read
// that fails or ends early fails the batch.
func (p *batchPlan) readRange(ctx context.Context, rg packRange) error {
	rc, err := p.r.st.GetRange(ctx, packName(rg.pack), rg.off, rg.end-rg.off)
	if err != nil {
		return fmt.Errorf("read pack %s at %d: %w", rg.pack, rg.off, err)
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, batchBufSize)
	stored, out, scratch := p.r.getBuf(), p.r.getBuf(), p.r.getBuf()
	defer func() { p.r.putBuf(stored); p.r.putBuf(out); p.r.putBuf(scratch) }()
	at := rg.off
	for _, b := range rg.blobs {
		off, n := int64(b.loc.Offset), int(b.loc.Length)
		if _, err := br.Discard(int(off - at)); err != nil {
			return p.cut(rg, b.id, err)
		}
		*stored = slices.Grow((*stored)[:0], n)[:n]
		if _, err := io.ReadFull(br, *stored); err != nil {
			return p.cut(rg, b.id, err)
		}
		at = off + int64(n)
		plain, err := p.r.decodeBlobTo(*out, *scratch, *stored, pack.KindData, b.id, b.loc.Flags, b.loc.RawLen)
		if err != nil {
			for _, t := range b.targets {
				p.fail(t.file, fmt.Errorf("read %s: %w", p.files[t.file].bf.Entry.Path, err))
			}
			continue
		}
		*out = plain
		p.deliver(b, plain)
	}
	return nil
}

// cut is the error of a range read that failed or ended before blob id.
func (p *batchPlan) cut(rg packRange, id pack.ID, err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("blob %s in pack %s: %w", id, rg.pack, err)
}

// deliver writes plain to each target of b whose file still takes it.
func (p *batchPlan) deliver(b *batchBlob, plain []byte) {
	for _, t := range b.targets {
		if !p.wanted(t.file) {
			continue
		}
		if _, err := p.files[t.file].bf.Out.WriteAt(plain, t.off); err != nil {
			p.fail(t.file, err)
			continue
		}
		p.wrote(t.file)
	}
}
