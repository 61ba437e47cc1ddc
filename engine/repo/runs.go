package repo

import (
	"context"
	"fmt"

	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
)

// runMax bounds the bytes of one coalesced range read.
const runMax = 2 << 20

// A blobRun is a file's next data blobs when they lie close together in
// one pack: one range read fetches them all, instead of one read per
// chunk. On a local disk that saves a file open and a small copy per
// chunk; on S3 it saves a request per chunk. A first backup writes a
// file's chunks near each other but not always in order (several workers
// seal them, and several files are read at once), so a run takes its
// blobs in any order inside its span, and may read some bytes of other
// blobs (waste).
type blobRun struct {
	ids      []pack.ID
	locs     []index.Location
	off, end int64 // the span of the pack the run covers
	useful   int64 // bytes of the run's own blobs
}

// add extends the run with the blob at loc if it stays in the same pack
// and within runMax bytes.
func (b *blobRun) add(id pack.ID, loc index.Location) bool {
	off, end := int64(loc.Offset), int64(loc.Offset)+int64(loc.Length)
	if len(b.locs) > 0 {
		off, end = min(off, b.off), max(end, b.end)
		if loc.Pack != b.locs[0].Pack || end-off > runMax {
			return false
		}
	}
	b.ids, b.locs = append(b.ids, id), append(b.locs, loc)
	b.off, b.end, b.useful = off, end, b.useful+int64(loc.Length)
	return true
}

// lean says whether at most a quarter of the run's span is waste.
func (b *blobRun) lean() bool {
	span := b.end - b.off
	return span-b.useful <= span/4
}

// nextRun returns the run that starts with ids[0]: the longest run of the
// blobs that follow that blobRun.add accepts and that is lean (a lean
// run can follow a wasteful one: a chunk written late fills the gap).
// A blob that is not a data blob ends the run and, first, is an error.
func (r *Repository) nextRun(ctx context.Context, ids []pack.ID) (blobRun, error) {
	var run, best blobRun
	for i, id := range ids {
		loc, err := r.lookup(ctx, id)
		if err == nil && loc.Kind != pack.KindData {
			err = fmt.Errorf("blob %s: is %s, want %s: %w", id, loc.Kind, pack.KindData, errDamaged)
		}
		if err != nil {
			if i == 0 {
				return run, err
			}
			break // the run ends here; the error comes with this blob
		}
		if !run.add(id, loc) {
			break
		}
		if i == 0 || run.lean() {
			best = run
		}
	}
	best.ids, best.locs = best.ids[:len(best.ids):len(best.ids)], best.locs[:len(best.locs):len(best.locs)]
	return best, nil
}

// emitRun decodes the blobs of run from data, the run's span as stored,
// and passes each to emit, in order, in a buffer of the read pool (the
// receiver hands it back with putBuf once written). It stops at the first
// error, which it passes to emit too, or when emit returns false, and
// reports whether every blob of the run was emitted and taken.
func (r *Repository) emitRun(run blobRun, data []byte, emit func(*[]byte, error) bool) bool {
	scratch := r.getBuf()
	defer r.putBuf(scratch)
	for i, loc := range run.locs {
		at := int64(loc.Offset) - run.off
		out := r.getBuf()
		plain, err := r.decodeBlobTo(*out, *scratch, data[at:at+int64(loc.Length)], pack.KindData, run.ids[i], loc.Flags, loc.RawLen)
		if err != nil {
			r.putBuf(out)
			emit(nil, err)
			return false
		}
		*out = plain
		if !emit(out, nil) {
			return false
		}
	}
	return true
}

// getRunBuf returns an empty buffer of runMax bytes; putRunBuf gives it
// back.
func (r *Repository) getRunBuf() *[]byte {
	if b, ok := r.runBufs.Get().(*[]byte); ok {
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, runMax)
	return &b
}

func (r *Repository) putRunBuf(b *[]byte) {
	if cap(*b) <= runMax {
		r.runBufs.Put(b)
	}
}
