package repo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/providers/provider"
)

// PruneStats says what Prune did (or would do, in a dry run).
type PruneStats struct {
	PacksDeleted, PacksRewritten, BlobsRemoved int
	BytesFreed                                 int64 // by the packs deleted now
	OrphansDeleted                             int   // packs no index lists, and index files replaced
	// PacksMarked are unused packs left as deletion candidates (dropped
	// from the index, deleted by a later prune after the grace period);
	// BytesMarked is their size.
	PacksMarked int
	BytesMarked int64
}

// RepoStats describes the repository.
type RepoStats struct {
	Snapshots, Packs, Blobs int
	StoredBytes             int64
}

// Stats counts snapshots, indexed packs and blobs, and the stored bytes of
// all packs.
func (r *Repository) Stats(ctx context.Context) (*RepoStats, error) {
	if err := r.loadIndexes(ctx); err != nil {
		return nil, err
	}
	ids, err := r.snapshotIDs(ctx)
	if err != nil {
		return nil, err
	}
	s := &RepoStats{Snapshots: len(ids)}
	s.Packs, s.Blobs = r.idx.Counts()
	err = r.st.List(ctx, "data/", func(oi storage.ObjectInfo) error {
		s.StoredBytes += oi.Size
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	return s, nil
}

// pruneState is what Prune learned about the repository.
type pruneState struct {
	indexNames []string
	packs      map[pack.ID][]pack.Blob // from all index files
	sizes      map[pack.ID]int64       // from listing data/
	used       map[pack.ID]bool        // blobs some snapshot references
	placedIn   map[pack.ID]pack.ID     // used blob → the one pack that keeps it

	// Safety (prunesafe.go).
	now       time.Time
	modTimes  map[pack.ID]time.Time   // from listing data/
	young     map[pack.ID]bool        // packs within the margin: kept as they are
	marked    map[pack.ID]time.Time   // deletion candidates → when marked
	markNames []string                // the prune/ objects read (or written since)
	markCount int                     // marks read
	dropKind  map[pack.ID]int         // pack in the drop list → dropUnused...
	freed     map[pack.ID]int64       // pack in the drop list → bytes its drop frees
	missing   int                     // indexed packs that do not exist
	lookedIn  int                     // unindexed packs added to r.idx for the mark
	headers   map[pack.ID][]pack.Blob // their headers
}

// Prune deletes what no snapshot references: unused blobs (rewriting packs
// that hold both used and unused ones) and orphan packs left by crashes.
// Packs younger than Options.PruneMargin are left alone; an unused pack is
// first dropped from the index and marked as a deletion candidate, and
// deleted by a later Prune once marked for Options.PruneGrace and still
// unused (prunesafe.go). The caller holds an exclusive lock. New packs and
// a new index are durable before any old index or pack is deleted, and old
// indexes are deleted before old packs, so a crash at any point loses
// nothing in use.
func (r *Repository) Prune(ctx context.Context, dryRun bool) (*PruneStats, error) {
	if dryRun {
		return r.PruneDryRun(ctx, nil)
	}
	if err := r.lockOK(); err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	st, err := r.pruneScan(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	pl, err := r.confirmPlan(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	st.decide(pl, r.opts.PruneGrace)
	st.adoptYoung(pl)
	newPacks, err := r.rewritePacks(ctx, pl.rewrite, st.placedIn)
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	if st.indexChanged(pl) {
		if err := r.unmarkKept(ctx, st, pl); err != nil {
			return nil, fmt.Errorf("prune: %w", err)
		}
		all := append(pl.keep, newPacks...)
		if err := r.replaceIndexes(ctx, st.indexNames, all); err != nil {
			return nil, fmt.Errorf("prune: %w", err)
		}
	} else if err := r.dropUnindexed(ctx, st); err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	if err := r.saveMarks(ctx, st, pl); err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	for _, id := range pl.ripe {
		if err := r.st.Delete(ctx, packName(id)); err != nil {
			return nil, fmt.Errorf("prune: delete pack %s: %w", id, err)
		}
	}
	return pl.stats, nil
}

// PruneDryRun says what Prune would reclaim after the snapshots forget
// were forgotten (their data counts as unused), changing nothing. The
// caller holds at least a shared lock.
func (r *Repository) PruneDryRun(ctx context.Context, forget []string) (*PruneStats, error) {
	skip := map[string]bool{}
	for _, id := range forget {
		skip[id] = true
	}
	st, err := r.pruneScan(ctx, skip)
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	pl, err := r.confirmPlan(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	st.decide(pl, r.opts.PruneGrace)
	if err := r.dropUnindexed(ctx, st); err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	return pl.stats, nil
}

// pruneScan reads the indexes, lists the packs and marks what the
// snapshots, except those in skip, use.
func (r *Repository) pruneScan(ctx context.Context, skip map[string]bool) (*pruneState, error) {
	st := &pruneState{packs: map[pack.ID][]pack.Blob{}, sizes: map[pack.ID]int64{}, used: map[pack.ID]bool{},
		modTimes: map[pack.ID]time.Time{}, headers: map[pack.ID][]pack.Blob{}}
	var err error
	if st.indexNames, err = r.listNames(ctx, "index/"); err != nil {
		return nil, err
	}
	err = r.readIndexes(ctx, st.indexNames, func(name string, packs []index.Pack, err error) error {
		if errors.Is(err, errDamaged) {
			return fmt.Errorf("%w; prune refuses to run until `velin backup repair index` has rebuilt the indexes", err)
		}
		if errors.Is(err, storage.ErrNotFound) {
			return nil // deleted since the listing (which may lag)
		}
		if err != nil {
			return err // an unreadable index: refuse rather than guess
		}
		for _, p := range packs {
			st.packs[p.ID] = mergeBlobs(st.packs[p.ID], p.Blobs)
			r.idx.Add(p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = r.st.List(ctx, "data/", func(oi storage.ObjectInfo) error {
		id, err := pack.ParseID(oi.Name[strings.LastIndexByte(oi.Name, '/')+1:])
		if err == nil {
			st.sizes[id], st.modTimes[id] = oi.Size, oi.ModTime
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list packs: %w", err)
	}
	if err := r.scanSafety(ctx, st); err != nil {
		return nil, err
	}
	return st, r.markUsed(ctx, st.used, skip)
}

// markUsed marks every blob reachable from every snapshot not in skip. Any unreadable
// tree is an error: Prune never deletes on an uncertain mark.
func (r *Repository) markUsed(ctx context.Context, used map[pack.ID]bool, skip map[string]bool) error {
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		return err
	}
	for _, m := range snaps {
		if skip[m.ID] {
			continue
		}
		for _, s := range m.Sources {
			root, err := pack.ParseID(s.Root)
			if err != nil {
				return fmt.Errorf("snapshot %s: %w", m.ID, err)
			}
			err = r.markTree(ctx, r.newWalkGuard(m, &s), root, "", 0, used)
			if err != nil && !errors.Is(err, errTreeBounds) { // which names them already
				err = fmt.Errorf("snapshot %s source %s: %w", m.ID, s.Key, err)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// markTree marks tree id, found at prefix (depth names below the root),
// and what it references, one tree blob or part and one content list at a
// time: a split directory or a long stream is never read whole. Each tree
// blob, and each long file's content lists, is read once however often it
// is named, so only the depth is bounded.
func (r *Repository) markTree(ctx context.Context, g *walkGuard, id pack.ID, prefix string, depth int, used map[pack.ID]bool) error {
	if used[id] {
		return nil // identical subtree already marked
	}
	used[id] = true // an error below fails the whole prune
	err := r.eachPart(ctx, id, func(blob pack.ID, nodes []node) error {
		used[blob] = true
		for i := range nodes {
			if err := r.markNode(ctx, g, &nodes[i], joinPath(prefix, nodes[i].Name), depth+1, used); err != nil {
				return err
			}
		}
		return nil
	})
	if re := (*treeReadError)(nil); errors.As(err, &re) {
		return fmt.Errorf("tree of %s: %w", cmp.Or(prefix, "/"), re.err)
	}
	return err
}

func (r *Repository) markNode(ctx context.Context, g *walkGuard, n *node, p string, depth int, used map[pack.ID]bool) error {
	if n.ContentList == nil || !used[*n.ContentList] { // a list marked is marked with all below it
		err := r.nodeBlobs(ctx, n, func(_ pack.Kind, ids ...pack.ID) error {
			for _, id := range ids {
				used[id] = true
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("file %s: %w", p, err)
		}
	}
	if n.Kind != provider.KindDir {
		return nil
	}
	if err := g.deeper(p, depth); err != nil {
		return err
	}
	return r.markTree(ctx, g, *n.Subtree, p, depth, used)
}

// plan sorts packs into kept, to rewrite and to delete. A blob stored in
// several packs is kept in the first kept pack only. Young packs are kept
// as they are (an unindexed one is left alone).
func (st *pruneState) plan() (stats *PruneStats, keep []index.Pack, rewrite []index.Pack, drop []pack.ID) {
	stats = &PruneStats{}
	st.placedIn = map[pack.ID]pack.ID{}
	st.dropKind, st.freed, st.missing = map[pack.ID]int{}, map[pack.ID]int64{}, 0
	for id, blobs := range st.packs {
		if _, exists := st.sizes[id]; !exists {
			stats.OrphansDeleted++ // indexed but missing: the new index drops it
			st.missing++
			continue
		}
		usedHere, unused, freed := 0, 0, int64(0)
		for _, b := range blobs {
			if _, placed := st.placedIn[b.ID]; st.used[b.ID] && !placed {
				usedHere++
				st.placedIn[b.ID] = id
			} else {
				unused++
				freed += int64(b.Length)
			}
		}
		if st.young[id] {
			keep = append(keep, index.Pack{ID: id, Blobs: blobs})
			continue
		}
		if unused > 0 {
			stats.BlobsRemoved += unused
			stats.BytesFreed += freed
		}
		switch {
		case unused == 0:
			keep = append(keep, index.Pack{ID: id, Blobs: blobs})
		case usedHere == 0:
			drop = append(drop, id)
			st.dropKind[id], st.freed[id] = dropUnused, freed
			stats.PacksDeleted++
		default:
			rewrite = append(rewrite, index.Pack{ID: id, Blobs: blobs})
			drop = append(drop, id)
			st.dropKind[id], st.freed[id] = dropRewritten, freed
			stats.PacksRewritten++
		}
	}
	for id, size := range st.sizes {
		if _, indexed := st.packs[id]; !indexed && !st.young[id] {
			drop = append(drop, id)
			st.dropKind[id], st.freed[id] = dropOrphan, size
			stats.OrphansDeleted++
			stats.BytesFreed += size
		}
	}
	return stats, keep, rewrite, drop
}

// rewritePacks copies the used blobs of packs (stored bytes unchanged) into
// new packs and returns them. Nothing is indexed yet.
func (r *Repository) rewritePacks(ctx context.Context, packs []index.Pack, placedIn map[pack.ID]pack.ID) ([]index.Pack, error) {
	var out []index.Pack
	b := pack.NewBuilder(r.packSize + chunkMax)
	flush := func() error {
		if b.Count() == 0 {
			return nil
		}
		data, id, blobs := b.Finish(r.key)
		if err := putBytes(ctx, r.st, packName(id), data, false); err != nil {
			return fmt.Errorf("write pack %s: %w", id, err)
		}
		out = append(out, index.Pack{ID: id, Blobs: blobs})
		b = pack.NewBuilder(r.packSize + chunkMax)
		return nil
	}
	for _, p := range packs {
		for _, bl := range p.Blobs {
			if where, ok := placedIn[bl.ID]; !ok || where != p.ID {
				continue
			}
			stored, err := getRange(ctx, r.st, packName(p.ID), int64(bl.Offset), int64(bl.Length))
			if err != nil {
				return nil, err
			}
			if _, err := r.decodeBlob(stored, bl.Kind, bl.ID, bl.Flags, bl.RawLen); err != nil {
				return nil, fmt.Errorf("copy blob from pack %s: %w", p.ID, err)
			}
			b.Add(bl.Kind, bl.Flags, bl.ID, stored, int(bl.RawLen))
			if b.Size() >= r.packSize {
				if err := flush(); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, flush()
}

// replaceIndexes writes one index for all packs, then deletes the old index
// files, and resets the in-memory index to the new content.
func (r *Repository) replaceIndexes(ctx context.Context, old []string, packs []index.Pack) error {
	var names []string
	for i := 0; i < len(packs); i += 256 {
		chunk := packs[i:min(i+256, len(packs))]
		name := "index/" + randomName()
		sealed := r.key.Seal(nil, index.Encode(chunk), []byte(index.AAD))
		if err := putBytes(ctx, r.st, name, sealed, false); err != nil {
			return fmt.Errorf("write index: %w", err)
		}
		names = append(names, name)
	}
	for _, name := range old {
		if err := r.st.Delete(ctx, name); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("delete index %s: %w", name, err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.idx.Reset()
	for _, p := range packs {
		r.idx.Add(p)
	}
	r.indexes = map[string]bool{}
	for _, n := range names {
		r.indexes[n] = true
	}
	return nil
}
