package repo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/engine/storage"
)

// IndexRepair says what RepairIndex found and did.
type IndexRepair struct {
	Packs        int      `json:"packs"`         // packs whose header was read
	Blobs        int      `json:"blobs"`         // blobs the new indexes list
	DroppedBlobs int      `json:"dropped_blobs"` // entries of the old indexes no readable pack holds
	AddedBlobs   int      `json:"added_blobs"`   // blobs of packs the old indexes did not list
	OldIndexes   int      `json:"old_indexes"`   // index files replaced
	DamagedPacks []string `json:"damaged_packs"` // packs whose header is unreadable: "id: why"
	DryRun       bool     `json:"dry_run"`
}

// packInfo is a pack as listed in data/.
type packInfo struct {
	id   pack.ID
	size int64
}

// listPacks lists data/ (objects whose name is not a pack id are ignored).
func (r *Repository) listPacks(ctx context.Context) ([]packInfo, error) {
	var out []packInfo
	err := r.st.List(ctx, "data/", func(oi storage.ObjectInfo) error {
		if id, err := pack.ParseID(oi.Name[strings.LastIndexByte(oi.Name, '/')+1:]); err == nil {
			out = append(out, packInfo{id: id, size: oi.Size})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list packs: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return string(out[i].id[:]) < string(out[j].id[:]) })
	return out, nil
}

// readHeaders reads the header of every pack, indexLoaders at a time. A
// pack whose header is damaged is returned in bad ("id: why"), not as an
// error; a pack gone since the listing is skipped.
func (r *Repository) readHeaders(ctx context.Context, packs []packInfo, progress func()) (good []index.Pack, bad []string, err error) {
	out := make([]index.Pack, len(packs))
	why := make([]string, len(packs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(indexLoaders)
	for i, p := range packs {
		g.Go(func() error {
			blobs, err := r.packHeader(gctx, p.id, p.size)
			progress()
			switch {
			case errors.Is(err, errDamaged):
				why[i] = err.Error()
			case errors.Is(err, storage.ErrNotFound):
			case err != nil:
				return err
			default:
				out[i] = index.Pack{ID: p.id, Blobs: blobs}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	for i := range packs {
		if why[i] != "" {
			bad = append(bad, why[i])
		} else if !out[i].ID.IsZero() {
			good = append(good, out[i])
		}
	}
	return good, bad, nil
}

// RepairIndex rebuilds the indexes from the packs themselves: it reads the
// header of every pack in data/, writes new index files listing exactly
// what the readable packs hold, and only then deletes the old index files
// (damaged ones included). Entries of the old indexes that no pack holds
// are dropped, so the next backup stores those blobs again. A pack whose
// header is unreadable is reported and left unindexed. The caller holds an
// exclusive lock. With dryRun nothing is written.
func (r *Repository) RepairIndex(ctx context.Context, dryRun bool, progress func()) (*IndexRepair, error) {
	ctx = bypassCache(ctx) // read the repository itself, never the local cache
	if progress == nil {
		progress = func() {}
	}
	rep := &IndexRepair{DamagedPacks: []string{}, DryRun: dryRun}
	oldNames, err := r.listNames(ctx, "index/")
	if err != nil {
		return nil, fmt.Errorf("repair index: %w", err)
	}
	old := map[pack.ID]bool{}
	err = r.readIndexes(ctx, oldNames, func(_ string, packs []index.Pack, err error) error {
		if err != nil && !errors.Is(err, errDamaged) && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		for _, p := range packs {
			for _, b := range p.Blobs {
				old[b.ID] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("repair index: %w", err)
	}
	listed, err := r.listPacks(ctx)
	if err != nil {
		return nil, fmt.Errorf("repair index: %w", err)
	}
	packs, bad, err := r.readHeaders(ctx, listed, progress)
	if err != nil {
		return nil, fmt.Errorf("repair index: %w", err)
	}
	rep.Packs, rep.OldIndexes = len(packs), len(oldNames)
	rep.DamagedPacks = append(rep.DamagedPacks, bad...)
	rep.Blobs, rep.AddedBlobs, rep.DroppedBlobs = compareIndexes(old, packs)
	if dryRun {
		return rep, nil
	}
	if err := r.replaceIndexes(ctx, oldNames, packs); err != nil {
		return nil, fmt.Errorf("repair index: %w", err)
	}
	r.mu.Lock()
	r.badIndexes = map[string]string{}
	r.mu.Unlock()
	return rep, nil
}

// compareIndexes counts the distinct blobs packs hold, those old did not
// list, and those old listed that packs do not hold.
func compareIndexes(old map[pack.ID]bool, packs []index.Pack) (blobs, added, dropped int) {
	now := map[pack.ID]bool{}
	for _, p := range packs {
		for _, b := range p.Blobs {
			if !now[b.ID] && !old[b.ID] {
				added++
			}
			now[b.ID] = true
		}
	}
	for id := range old {
		if !now[id] {
			dropped++
		}
	}
	return len(now), added, dropped
}
