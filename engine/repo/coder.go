package repo

import (
	"github.com/klauspost/compress/huff0"
	"github.com/klauspost/compress/zstd"
)

// The choice between zstd and literal-only frames (literals.go), made per
// pipeline worker from what recent chunks gave.
const (
	// probeEvery: one data chunk in probeEvery is compressed both ways,
	// and the smaller form (with litsSlack) sets the coder's mode for the
	// next ones.
	probeEvery = 8
	// litsSlack: literal-only wins a probe unless zstd's frame is smaller
	// by more than 1/litsSlack (10 %): matches worth less are not worth
	// four times the CPU.
	litsSlack = 10
	// litsMin: chunks shorter than this always go to zstd.
	litsMin = 4 << 10
	// litsMaxRatio: a chunk that Huffman coding alone shrinks more than
	// 5:2 is text with structure, where zstd's matches usually gain far
	// more than 10 %: it is probed at once, whatever the mode.
	litsMaxRatioNum, litsMaxRatioDen = 2, 5
)

// blobCoder compresses the blobs of one pipeline worker (it is not safe
// for concurrent use). Without fast (a level above zstd's fastest) every
// blob goes through zstd.
type blobCoder struct {
	enc   *zstd.Encoder
	fast  bool
	huff  huff0.Scratch
	lits  []byte
	n     int  // data chunks coded
	inLit bool // literal-only mode: the last probe chose it
}

func newBlobCoder(enc *zstd.Encoder, level int) *blobCoder {
	return &blobCoder{enc: enc, fast: level == 1}
}

// compress returns plain's compressed form, in scratch (returned grown)
// or in the coder's own buffer, valid until the next call. The caller
// stores plain instead when the result is not shorter.
func (c *blobCoder) compress(scratch, plain []byte, data bool) (out, scr []byte) {
	if !c.fast || !data || len(plain) < litsMin {
		scratch = c.enc.EncodeAll(plain, scratch[:0])
		return scratch, scratch
	}
	probe := c.n%probeEvery == 0
	c.n++
	if !probe && !c.inLit {
		scratch = c.enc.EncodeAll(plain, scratch[:0])
		return scratch, scratch
	}
	c.lits = appendLiteralsFrame(c.lits[:0], plain, &c.huff)
	if !probe && len(c.lits)*litsMaxRatioDen > len(plain)*litsMaxRatioNum {
		return c.lits, scratch
	}
	scratch = c.enc.EncodeAll(plain, scratch[:0])
	if c.inLit = len(c.lits)*litsSlack <= len(scratch)*(litsSlack+1); c.inLit {
		return c.lits, scratch
	}
	return scratch, scratch
}
