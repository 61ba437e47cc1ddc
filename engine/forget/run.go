package forget

import (
	"context"
	"time"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/repo"
)

// Stats is what a prune reclaims now (packs_deleted, bytes_freed...) and
// what it marked for deletion by a later prune (packs_marked, bytes_marked).
type Stats struct {
	PacksDeleted   int   `json:"packs_deleted"`
	PacksRewritten int   `json:"packs_rewritten"`
	BlobsRemoved   int   `json:"blobs_removed"`
	OrphansDeleted int   `json:"orphans_deleted"`
	BytesFreed     int64 `json:"bytes_freed"`
	PacksMarked    int   `json:"packs_marked"`
	BytesMarked    int64 `json:"bytes_marked"`
}

// Result is what Run did, or would do in a dry run.
type Result struct {
	Repository string           `json:"repository"`
	DryRun     bool             `json:"dry_run"`
	Forgotten  []string         `json:"forgotten"`
	Reclaimed  Stats            `json:"reclaimed"`
	Pruned     *repo.PruneStats `json:"-"`
}

// Run forgets the snapshots ids and reclaims the data nothing references
// any more, under an exclusive lock. A dry run changes nothing: under a
// shared lock it reports what the real run would reclaim, counting the
// data only ids use as unused.
func Run(ctx context.Context, r *repo.Repository, ids []string, dryRun bool) (*Result, error) {
	if ids == nil {
		ids = []string{}
	}
	res := &Result{Repository: r.Location(), DryRun: dryRun, Forgotten: ids}
	lock, err := r.Lock(ctx, !dryRun)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock(context.WithoutCancel(ctx))
	var st *repo.PruneStats
	if dryRun {
		st, err = r.PruneDryRun(ctx, ids)
	} else {
		if err = r.Forget(ctx, ids...); err != nil {
			return nil, err
		}
		st, err = r.Prune(ctx, false)
	}
	if err != nil {
		return nil, err
	}
	res.Pruned, res.Reclaimed = st, statsOf(st)
	return res, nil
}

func statsOf(st *repo.PruneStats) Stats {
	return Stats{PacksDeleted: st.PacksDeleted, PacksRewritten: st.PacksRewritten,
		BlobsRemoved: st.BlobsRemoved, OrphansDeleted: st.OrphansDeleted, BytesFreed: st.BytesFreed,
		PacksMarked: st.PacksMarked, BytesMarked: st.BytesMarked}
}

// Retain applies b's retention in r: when it forgets something, it
// decides again under an exclusive lock, forgets and prunes. When it
// forgets nothing it takes no exclusive lock and returns a nil Result.
func Retain(ctx context.Context, r *repo.Repository, b *config.Backup, now time.Time) (*Result, error) {
	rt, err := Decide(ctx, r, b, now)
	if err != nil || len(rt.Forget()) == 0 {
		return nil, err
	}
	lock, err := r.Lock(ctx, true)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock(context.WithoutCancel(ctx))
	if rt, err = Decide(ctx, r, b, now); err != nil {
		return nil, err
	}
	ids := rt.Forget()
	if err := r.Forget(ctx, ids...); err != nil {
		return nil, err
	}
	st, err := r.Prune(ctx, false)
	if err != nil {
		return nil, err
	}
	return &Result{Repository: r.Location(), Forgotten: ids, Pruned: st, Reclaimed: statsOf(st)}, nil
}
