package repo

import (
	"context"
	"errors"
	"fmt"

	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/engine/storage"
)

// errDamaged marks blobs that fail authentication or their id check.
var errDamaged = errors.New("damaged")

// encodeBlob compresses (when it helps) and seals plain, appending to dst.
// c is the calling worker's coder (nil: one for this call), h what the
// probes of plain's stream found (nil: zstd); scratch is a reusable buffer
// for the compressed form; both buffers are returned.
func (r *Repository) encodeBlob(c *blobCoder, h *streamHint, dst, scratch, plain []byte, kind pack.Kind, id pack.ID) (stored, scr []byte, flags uint8) {
	body := plain
	if r.enc != nil {
		if c == nil {
			c = r.newCoder()
		}
		var z []byte
		z, scratch = c.compress(scratch, plain, h)
		if len(z) < len(plain) {
			body, flags = z, pack.FlagCompressed
		}
	}
	return r.key.Seal(dst, body, pack.AAD(kind, id)), scratch, flags
}

// newCoder returns a coder for one pipeline worker (nil without
// compression).
func (r *Repository) newCoder() *blobCoder {
	if r.enc == nil {
		return nil
	}
	return newBlobCoder(r.enc, r.opts.Compression)
}

// decodeBlob authenticates and decompresses a stored blob and checks its id.
func (r *Repository) decodeBlob(stored []byte, kind pack.Kind, id pack.ID, flags uint8, rawLen uint32) ([]byte, error) {
	if int64(rawLen) > int64(r.lim.blobRaw) {
		return nil, fmt.Errorf("blob %s: %w: %d bytes is over the %d-byte blob limit", id, errDamaged, rawLen, r.lim.blobRaw)
	}
	return r.decodeBlobTo(make([]byte, 0, rawLen), nil, stored, kind, id, flags, rawLen)
}

// decodeBlobTo is decodeBlob writing the plaintext over dst (grown if
// needed) and decrypting a compressed body into scratch, so a caller with
// reusable buffers allocates nothing.
func (r *Repository) decodeBlobTo(dst, scratch, stored []byte, kind pack.Kind, id pack.ID, flags uint8, rawLen uint32) ([]byte, error) {
	compressed := flags&pack.FlagCompressed != 0
	open := dst[:0]
	if compressed {
		open = scratch[:0]
	}
	body, err := r.key.Open(open, stored, pack.AAD(kind, id))
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w: %w", id, errDamaged, err)
	}
	if compressed {
		if body, err = r.dec.DecodeAll(body, dst[:0]); err != nil {
			return nil, fmt.Errorf("blob %s: %w: decompress: %w", id, errDamaged, err)
		}
	}
	if uint32(len(body)) != rawLen || r.key.BlobID(body) != id {
		return nil, fmt.Errorf("blob %s: %w: content does not match its id", id, errDamaged)
	}
	return body, nil
}

func packName(id pack.ID) string {
	s := id.String()
	return "data/" + s[:2] + "/" + s
}

// loadBlob reads one blob with a single range read.
// Tree blobs go through the local cache, when there is one.
func (r *Repository) loadBlob(ctx context.Context, id pack.ID, kind pack.Kind) ([]byte, error) {
	if c := r.cacheFor(ctx); c != nil && kind == pack.KindTree {
		return r.loadCachedTree(ctx, c, id)
	}
	loc, stored, err := r.readStored(ctx, id, kind, nil)
	if err != nil {
		return nil, err
	}
	return r.decodeBlob(stored, kind, id, loc.Flags, loc.RawLen)
}

// readStored finds a blob and reads its stored form into buf (grown if
// needed).
func (r *Repository) readStored(ctx context.Context, id pack.ID, kind pack.Kind, buf []byte) (index.Location, []byte, error) {
	loc, err := r.lookup(ctx, id)
	if err != nil {
		return loc, nil, err
	}
	if loc.Kind != kind {
		return loc, nil, fmt.Errorf("blob %s: is %s, want %s: %w", id, loc.Kind, kind, errDamaged)
	}
	stored, err := getRangeInto(ctx, r.st, packName(loc.Pack), int64(loc.Offset), int64(loc.Length), buf)
	if err != nil {
		return loc, nil, fmt.Errorf("blob %s in pack %s: %w", id, loc.Pack, err)
	}
	return loc, stored, nil
}

// getBuf returns an empty buffer of the read pool (chunkMax plus the
// sealing overhead); putBuf gives it back (nil is ignored).
func (r *Repository) getBuf() *[]byte {
	if b, ok := r.readBufs.Get().(*[]byte); ok {
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, chunkMax+64)
	return &b
}

func (r *Repository) putBuf(b *[]byte) {
	if b != nil && cap(*b) <= 2*chunkMax {
		r.readBufs.Put(b)
	}
}

// lookup finds a blob, reloading the index files once when it is unknown
// (another process may have added it since Open).
func (r *Repository) lookup(ctx context.Context, id pack.ID) (index.Location, error) {
	if loc, ok := r.idx.Lookup(id); ok {
		return loc, nil
	}
	if err := r.loadIndexes(ctx); err != nil {
		return index.Location{}, err
	}
	if loc, ok := r.idx.Lookup(id); ok {
		return loc, nil
	}
	return index.Location{}, fmt.Errorf("blob %s: not in any index%s: %w", id, r.damagedHint(), storage.ErrNotFound)
}
