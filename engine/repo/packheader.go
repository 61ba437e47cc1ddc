package repo

import (
	"context"
	"errors"
	"fmt"

	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/engine/storage"
)

// packHeader reads the blob list a pack of size bytes carries in its own
// header. A trailer or header that does not decode or authenticate is
// errDamaged; storage errors are returned as they are.
func (r *Repository) packHeader(ctx context.Context, id pack.ID, size int64) ([]pack.Blob, error) {
	name := packName(id)
	if size < pack.TrailerLen {
		return nil, fmt.Errorf("pack %s is %w: only %d bytes", id, errDamaged, size)
	}
	trailer, err := getRange(ctx, r.st, name, size-pack.TrailerLen, pack.TrailerLen)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", id, err)
	}
	off, n, err := pack.ReadTrailer(trailer, size)
	if err != nil {
		return nil, fmt.Errorf("pack %s is %w: %w", id, errDamaged, err)
	}
	sealed, err := getRange(ctx, r.st, name, off, n)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", id, err)
	}
	blobs, err := pack.DecodeHeader(r.key, sealed, off)
	if err != nil {
		return nil, fmt.Errorf("pack %s is %w: %w", id, errDamaged, err)
	}
	return blobs, nil
}

// mergeBlobs adds to have the blobs of more it does not list yet: two
// index files that list the same pack never hide each other's entries.
func mergeBlobs(have, more []pack.Blob) []pack.Blob {
	if len(have) == 0 {
		return more
	}
	seen := make(map[pack.ID]bool, len(have))
	for _, b := range have {
		seen[b.ID] = true
	}
	for _, b := range more {
		if !seen[b.ID] {
			seen[b.ID] = true
			have = append(have, b)
		}
	}
	return have
}

// prunePlan is what a prune keeps, rewrites and deletes.
type prunePlan struct {
	stats   *PruneStats
	keep    []index.Pack
	rewrite []index.Pack
	drop    []pack.ID
	// corrected counts packs whose header listed used blobs the indexes
	// missed: the new index must be written even if nothing is deleted.
	corrected int
	// ripe are the packs of drop to delete now, pending those that stay
	// deletion candidates (prunesafe.go).
	ripe, pending []pack.ID
}

// confirmPlan plans the prune, then reads the header of every pack the plan
// would delete or rewrite. When a header lists a used blob that no index
// places in a kept pack, the header is taken as the truth about that pack
// and the plan is made again, so no blob in use is lost because an index
// missed it. A pack some index lists whose header cannot be read stops the
// prune (repair index first); an unindexed one is deleted with a warning,
// as nothing can be read from it.
func (r *Repository) confirmPlan(ctx context.Context, st *pruneState) (*prunePlan, error) {
	confirmed := map[pack.ID]bool{}
	corrected := 0
	for {
		p := prunePlan{corrected: corrected}
		p.stats, p.keep, p.rewrite, p.drop = st.plan()
		changed := false
		for _, id := range p.drop {
			if confirmed[id] {
				continue
			}
			confirmed[id] = true
			blobs, err := r.packHeader(ctx, id, st.sizes[id])
			if errors.Is(err, storage.ErrNotFound) {
				delete(st.sizes, id) // deleted; the listing lagged
				changed = true
				continue
			}
			if err != nil {
				_, indexed := st.packs[id]
				if indexed || !errors.Is(err, errDamaged) {
					return nil, fmt.Errorf("confirm %w; run `velin backup repair index` first", err)
				}
				r.opts.Warn(fmt.Sprintf("%s; no index lists it, so prune deletes it", err))
				continue
			}
			if st.hidesUsed(blobs) {
				st.packs[id] = blobs
				changed = true
				corrected++
			}
		}
		if !changed {
			return &p, nil
		}
	}
}

// hidesUsed reports whether blobs holds a used blob the plan placed nowhere.
func (st *pruneState) hidesUsed(blobs []pack.Blob) bool {
	for _, b := range blobs {
		if _, placed := st.placedIn[b.ID]; st.used[b.ID] && !placed {
			return true
		}
	}
	return false
}
