package repo

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/velinhq/velin/engine/repo/pack"
)

// A content list holds the chunk ids of a file too long to list them in
// its tree node: "VLL1", a level byte, a uvarint count, then count 32-byte
// ids. Level 0 lists data chunks; level k lists content lists of level
// k-1. The file node names the top list in content_list.
const (
	listMagic  = "VLL1"
	listHeader = len(listMagic) + 1 + binary.MaxVarintLen64
)

func encodeList(level int, ids []pack.ID) []byte {
	b := make([]byte, 0, listHeader+32*len(ids))
	b = append(b, listMagic...)
	b = append(b, byte(level))
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = append(b, id[:]...)
	}
	return b
}

func decodeList(data []byte, lim limits) (level int, ids []pack.ID, err error) {
	if !bytes.HasPrefix(data, []byte(listMagic)) || len(data) < len(listMagic)+2 {
		return 0, nil, fmt.Errorf("content list: bad header")
	}
	level = int(data[len(listMagic)])
	n, k := binary.Uvarint(data[len(listMagic)+1:])
	rest := data[len(listMagic)+1+max(k, 0):]
	if k <= 0 || n == 0 || n > uint64(lim.listIDs) || uint64(len(rest)) != 32*n {
		return 0, nil, fmt.Errorf("content list: bad length")
	}
	ids = make([]pack.ID, n)
	for i := range ids {
		copy(ids[i][:], rest[32*i:])
	}
	return level, ids, nil
}

// storeList stores ids as a tree of content lists and returns the top
// list's id.
func (sw *SourceWriter) storeList(ctx context.Context, ids []pack.ID) (pack.ID, error) {
	return sw.storeLevels(ctx, 0, ids)
}

// storeLevels is storeList for ids that are lists of the level below.
func (sw *SourceWriter) storeLevels(ctx context.Context, level int, ids []pack.ID) (pack.ID, error) {
	lim := sw.w.r.lim
	for ; ; level++ {
		if level >= lim.listDepth {
			return pack.ID{}, fmt.Errorf("content list: more than %d levels", lim.listDepth)
		}
		var next []pack.ID
		for i := 0; i < len(ids); i += lim.listIDs {
			id, err := sw.storeTree(ctx, encodeList(level, ids[i:min(i+lim.listIDs, len(ids))]))
			if err != nil {
				return pack.ID{}, err
			}
			next = append(next, id)
		}
		if len(next) == 1 {
			return next[0], nil
		}
		ids = next
	}
}

// readList expands the content list id of a file of size bytes into its
// chunk ids, and returns the ids of the list blobs read too (check and
// prune need them all; a reader streams them with eachList instead).
func (r *Repository) readList(ctx context.Context, id pack.ID, size int64) (chunks, lists []pack.ID, err error) {
	err = r.eachList(ctx, id, size, func(list pack.ID, level int, ids []pack.ID) error {
		lists = append(lists, list)
		if level == 0 {
			chunks = append(chunks, ids...)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return chunks, lists, nil
}

// eachList walks the content lists below id of a file of size bytes
// depth-first, in content order, and calls fn with each list blob: its id,
// level and the ids it names (level 0: chunk ids, in file order). Only one
// decoded list per level is in memory at a time, so a stream of any length
// is read with at most listDepth lists of ids. A list that names more
// chunks than size bytes could hold (each chunk but the last has at least
// the chunker's minimum size), nests deeper than the limit or has a level
// out of order is refused: a forged list cannot make a reader follow
// billions of references.
func (r *Repository) eachList(ctx context.Context, id pack.ID, size int64, fn func(list pack.ID, level int, ids []pack.ID) error) error {
	maxChunks := size/int64(r.cfg.Chunker.MinSize) + 1
	var nChunks, nLists int64
	var walk func(id pack.ID, want int) error
	walk = func(id pack.ID, want int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := r.loadBlob(ctx, id, pack.KindTree)
		if err != nil {
			return err
		}
		level, ids, err := decodeList(data, r.lim)
		if err != nil {
			return fmt.Errorf("blob %s: %w", id, err)
		}
		if (want >= 0 && level != want) || level >= r.lim.listDepth {
			return fmt.Errorf("content list %s: level %d out of order", id, level)
		}
		if nLists++; nLists > maxChunks {
			return fmt.Errorf("content list %s: more lists than %d bytes can need", id, size)
		}
		if level == 0 {
			if nChunks += int64(len(ids)); nChunks > maxChunks {
				return fmt.Errorf("content list %s: names more chunks than %d bytes can hold", id, size)
			}
		}
		if err := fn(id, level, ids); err != nil || level == 0 {
			return err
		}
		for _, sub := range ids {
			if err := walk(sub, level-1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(id, -1)
}

// listWriter collects the chunk ids of one stream and stores each full
// level-0 content list as soon as it fills, so a stream of any length
// keeps at most lim.listIDs chunk ids in memory. The lists are the ones
// storeList makes of all the ids at once.
type listWriter struct {
	sw     *SourceWriter
	ids    []pack.ID // chunk ids not in a stored list yet
	level0 []pack.ID // level-0 lists stored so far
}

func (lw *listWriter) add(ctx context.Context, id pack.ID) error {
	lw.ids = append(lw.ids, id)
	lim := lw.sw.w.r.lim
	if len(lw.ids) < lim.listIDs || lim.listIDs <= lim.inlineContent {
		return nil // (with such limits a full list may still be inline: keep all)
	}
	return lw.flush(ctx)
}

func (lw *listWriter) flush(ctx context.Context) error {
	id, err := lw.sw.storeTree(ctx, encodeList(0, lw.ids))
	if err != nil {
		return err
	}
	lw.level0, lw.ids = append(lw.level0, id), lw.ids[:0]
	return nil
}

// finish returns the stream's chunk ids when it stored no list (record
// decides whether they stay inline), else the top of its lists.
func (lw *listWriter) finish(ctx context.Context) ([]pack.ID, *pack.ID, error) {
	if len(lw.level0) == 0 {
		return lw.ids, nil, nil
	}
	if len(lw.ids) > 0 {
		if err := lw.flush(ctx); err != nil {
			return nil, nil, err
		}
	}
	top := lw.level0[0]
	if len(lw.level0) > 1 {
		var err error
		if top, err = lw.sw.storeLevels(ctx, 1, lw.level0); err != nil {
			return nil, nil, err
		}
	}
	return nil, &top, nil
}
