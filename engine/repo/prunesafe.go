package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/engine/storage"
)

// Prune's safety rules (docs/design.md, "Prune"): a pack younger than the
// margin is never deleted nor dropped from the index, and a pack prune
// finds unused is first only dropped from the index and recorded as a
// deletion candidate under prune/; a later prune deletes it once it has
// been a candidate for the grace period and is still unused.
const (
	// DefaultPruneMargin protects new packs whose index or snapshot a
	// lagging listing does not show yet.
	DefaultPruneMargin = time.Hour
	// DefaultPruneGrace lets a backup that loaded the index before a
	// prune dropped a pack from it commit its snapshot, which makes the
	// next prune index the pack again instead of deleting it.
	DefaultPruneGrace = 24 * time.Hour
)

const pruneAAD = "velin prune"

// pruneMarks is the sealed content of a prune/ object.
type pruneMarks struct {
	// Packs maps a candidate pack's id to when prune dropped it from the
	// index (the repository clock).
	Packs map[string]time.Time `json:"packs"`
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Pack kinds in a prune plan's drop list.
const (
	dropUnused    = iota + 1 // indexed, no used blob kept here
	dropRewritten            // indexed, used blobs copied to a new pack
	dropOrphan               // no index lists it
)

// scanSafety reads the deletion candidates and finds the young packs.
func (r *Repository) scanSafety(ctx context.Context, st *pruneState) error {
	st.now = r.opts.Clock()
	st.young = map[pack.ID]bool{}
	if r.opts.PruneMargin > 0 {
		for id, t := range st.modTimes {
			if st.now.Sub(t) < r.opts.PruneMargin {
				st.young[id] = true
			}
		}
	}
	names, err := r.listNames(ctx, "prune/")
	if err != nil {
		return err
	}
	st.markNames, st.marked = names, map[pack.ID]time.Time{}
	for _, name := range names {
		plain, err := r.getSealed(ctx, name, pruneAAD)
		if errors.Is(err, storage.ErrNotFound) {
			continue // deleted by another prune; the listing lagged
		}
		var m pruneMarks
		if err == nil {
			err = json.Unmarshal(plain, &m)
		}
		if err != nil {
			// Losing marks only delays deletions; never guess at them.
			r.opts.Warn(fmt.Sprintf("prune: deletion candidates in %s are unreadable and start over: %v", name, err))
			continue
		}
		for s, t := range m.Packs {
			id, err := pack.ParseID(s)
			if err == nil && t.After(st.marked[id]) {
				st.marked[id] = t // the latest mark wins: it only delays
			}
		}
	}
	st.markCount = len(st.marked)
	return r.lookInUnindexed(ctx, st)
}

// lookInUnindexed makes the blobs of the packs no index lists (deletion
// candidates, debris, packs whose index the listing does not show yet)
// readable while prune marks what snapshots use: a backup that loaded the
// index before a prune dropped a pack from it may have committed a
// snapshot that uses the pack, its trees included.
func (r *Repository) lookInUnindexed(ctx context.Context, st *pruneState) error {
	for id, size := range st.sizes {
		if _, indexed := st.packs[id]; indexed {
			continue
		}
		blobs, err := r.packHeader(ctx, id, size)
		if errors.Is(err, storage.ErrNotFound) || errors.Is(err, errDamaged) {
			continue // gone, or nothing to read from it: confirmPlan decides
		}
		if err != nil {
			return err
		}
		r.idx.Add(index.Pack{ID: id, Blobs: blobs})
		st.headers[id] = blobs
		st.lookedIn++
	}
	return nil
}

// dropUnindexed makes the in-memory index hold the index files' content
// again after lookInUnindexed added packs no index lists, so that this
// Repository does not deduplicate against deletion candidates afterwards.
func (r *Repository) dropUnindexed(ctx context.Context, st *pruneState) error {
	if st.lookedIn == 0 {
		return nil
	}
	names, err := r.listNames(ctx, "index/")
	if err != nil {
		return err
	}
	return r.rebuildIndex(ctx, names)
}

// decide splits the plan's drop list into the packs to delete now (marked
// for the grace period and still unused) and those that stay candidates,
// and makes the statistics say which is which.
func (st *pruneState) decide(p *prunePlan, grace time.Duration) {
	s := p.stats
	for _, id := range p.drop {
		kind := st.dropKind[id]
		switch kind {
		case dropUnused:
			s.PacksDeleted--
		case dropOrphan:
			s.OrphansDeleted--
		}
		s.BytesFreed -= st.freed[id]
		if kind != dropOrphan {
			// Indexed again since it was marked (repair index, another
			// prune): backups may have used it, so the wait starts over.
			delete(st.marked, id)
		}
		marked, was := st.marked[id]
		if grace > 0 && (!was || st.now.Sub(marked) < grace) {
			p.pending = append(p.pending, id)
			s.PacksMarked++
			s.BytesMarked += st.sizes[id]
			continue
		}
		p.ripe = append(p.ripe, id)
		s.BytesFreed += st.freed[id]
		switch {
		case was || kind == dropUnused:
			s.PacksDeleted++
		case kind == dropOrphan:
			s.OrphansDeleted++
		}
	}
}

// adoptYoung indexes the young packs no index lists that hold used blobs
// no kept pack holds: their own index may be hidden by the listing, or
// lost with a failed writer; indexing them twice is harmless.
func (st *pruneState) adoptYoung(p *prunePlan) {
	for id, blobs := range st.headers {
		if _, indexed := st.packs[id]; indexed || !st.young[id] || !st.hidesUsed(blobs) {
			continue
		}
		p.keep = append(p.keep, index.Pack{ID: id, Blobs: blobs})
		p.corrected++
		for _, b := range blobs {
			if _, placed := st.placedIn[b.ID]; st.used[b.ID] && !placed {
				st.placedIn[b.ID] = id
			}
		}
	}
}

// indexChanged reports whether the plan drops or adds anything in the index.
func (st *pruneState) indexChanged(p *prunePlan) bool {
	if len(p.rewrite) > 0 || p.corrected > 0 || st.missing > 0 {
		return true
	}
	for _, id := range p.drop {
		if st.dropKind[id] != dropOrphan {
			return true
		}
	}
	return false
}

// unmarkKept runs before the index changes: it rewrites the records
// without the candidates this run keeps (indexes again), so that no later
// prune that misses the new index (a lagging listing, a crash before the
// final record) deletes one of them on its old mark.
func (r *Repository) unmarkKept(ctx context.Context, st *pruneState, p *prunePlan) error {
	stay := map[pack.ID]bool{}
	for _, id := range append(p.pending, p.ripe...) {
		stay[id] = true
	}
	m := map[string]time.Time{}
	for id, t := range st.marked {
		if stay[id] {
			m[id.String()] = t.UTC()
		}
	}
	if len(m) == st.markCount {
		return nil // every mark stays
	}
	return r.writeMarks(ctx, st, m)
}

// saveMarks records the plan's pending packs as the deletion candidates,
// then deletes the records it replaces. Packs that left the candidates
// (deleted, used again, gone) are simply not written again.
func (r *Repository) saveMarks(ctx context.Context, st *pruneState, p *prunePlan) error {
	m := map[string]time.Time{}
	for _, id := range p.pending {
		t, was := st.marked[id]
		if !was {
			t = st.now
		}
		m[id.String()] = t.UTC()
	}
	if len(st.markNames) == min(1, len(st.marked)) && sameMarks(m, st.marked) {
		return nil // nothing changed
	}
	return r.writeMarks(ctx, st, m)
}

// writeMarks writes one record of marks (none if empty), then deletes the
// records read or written before.
func (r *Repository) writeMarks(ctx context.Context, st *pruneState, marks map[string]time.Time) error {
	var names []string
	if len(marks) > 0 {
		name := "prune/" + randomName()
		if err := r.putSealedJSON(ctx, name, pruneAAD, pruneMarks{Packs: marks}, false); err != nil {
			return fmt.Errorf("record deletion candidates: %w", err)
		}
		names = append(names, name)
	}
	for _, name := range st.markNames {
		if err := r.st.Delete(ctx, name); err != nil {
			return fmt.Errorf("delete %s: %w", name, err)
		}
	}
	st.markNames = names
	return nil
}

// sameMarks reports whether the new candidates are exactly the old ones.
func sameMarks(next map[string]time.Time, old map[pack.ID]time.Time) bool {
	if len(next) != len(old) {
		return false
	}
	for id := range old {
		if _, ok := next[id.String()]; !ok {
			return false
		}
	}
	return true
}
