package repo

import (
	"sync/atomic"

	"github.com/klauspost/compress/huff0"
	"github.com/klauspost/compress/zstd"
)

// The choice between zstd and literal-only frames (literals.go), made per
// stream (one file, one dump) from what its probed chunks gave.
const (
	// probeEvery: the second chunk of a stream and one in probeEvery
	// after it are compressed both ways; the smaller form (with
	// litsSlack) sets the stream's mode for the next ones. A stream's
	// first chunk (all of a small file) goes to zstd unprobed.
	probeEvery = 8
	// litsSlack: literal-only wins a probe unless zstd's frame is smaller
	// by more than 1/litsSlack (5 %): matches worth less are not worth
	// four times the CPU. At 10 % the PostgreSQL benchmark's dump (zstd
	// 8.8 % smaller than Huffman alone) went literal-only and stored 5 %
	// more than restic after scattered updates, an issue target of its own.
	litsSlack = 20
	// litsMin: chunks shorter than this always go to zstd.
	litsMin = 4 << 10
	// litsMaxRatio: a chunk that Huffman coding alone shrinks more than
	// 5:2 is text with structure, where zstd's matches usually gain far
	// more than 10 %: it is probed at once, whatever the mode.
	litsMaxRatioNum, litsMaxRatioDen = 2, 5
	// litsMinRatio: literal-only wins only where Huffman coding shrinks
	// the chunk by a tenth at least; zstd already skips incompressible
	// data fast.
	litsMinRatioNum, litsMinRatioDen = 9, 10
)

// streamHint is what the probes of one stream found, shared by the
// workers that compress its chunks.
type streamHint struct {
	chunks atomic.Int64
	lits   atomic.Bool // literal-only mode: the last probe chose it
}

// blobCoder compresses the blobs of one pipeline worker (it is not safe
// for concurrent use). Without fast (a level above zstd's fastest) every
// blob goes through zstd.
type blobCoder struct {
	enc  *zstd.Encoder
	fast bool
	huff huff0.Scratch
	lits []byte
}

func newBlobCoder(enc *zstd.Encoder, level int) *blobCoder {
	return &blobCoder{enc: enc, fast: level == 1}
}

// compress returns plain's compressed form, in scratch (returned grown)
// or in the coder's own buffer, valid until the next call; h is plain's
// stream (nil: zstd). The caller stores plain instead when the result is
// not shorter.
func (c *blobCoder) compress(scratch, plain []byte, h *streamHint) (out, scr []byte) {
	if !c.fast || h == nil || len(plain) < litsMin {
		return c.zstd(scratch, plain)
	}
	k := h.chunks.Add(1) - 1
	probe := k%probeEvery == 1
	if !probe && !h.lits.Load() {
		return c.zstd(scratch, plain)
	}
	c.lits = appendLiteralsFrame(c.lits[:0], plain, &c.huff)
	if !probe && len(c.lits)*litsMaxRatioDen > len(plain)*litsMaxRatioNum {
		return c.lits, scratch
	}
	scratch = c.enc.EncodeAll(plain, scratch[:0])
	lits := len(c.lits)*litsSlack <= len(scratch)*(litsSlack+1) &&
		len(c.lits)*litsMinRatioDen <= len(plain)*litsMinRatioNum
	h.lits.Store(lits)
	if lits {
		return c.lits, scratch
	}
	return scratch, scratch
}

func (c *blobCoder) zstd(scratch, plain []byte) (out, scr []byte) {
	scratch = c.enc.EncodeAll(plain, scratch[:0])
	return scratch, scratch
}
