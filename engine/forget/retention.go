package forget

import (
	"context"
	"slices"
	"time"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/retention"
)

// Decision is one snapshot of a backup block: kept, and by which rules,
// or forgotten.
type Decision struct {
	ID      string    `json:"id"`
	Time    time.Time `json:"time"`
	Keep    bool      `json:"keep"`
	Reasons []string  `json:"reasons"` // the rules that keep it: "last", "daily 2026-11-20", "newest", …
}

// Retention is a backup block's policy applied to its snapshots.
type Retention struct {
	Backup    string     `json:"backup"`
	Policy    string     `json:"policy"`
	Decisions []Decision `json:"snapshots"` // newest first
}

// Forget lists the ids the policy forgets, oldest first.
func (rt *Retention) Forget() []string {
	out := []string{}
	for i := len(rt.Decisions) - 1; i >= 0; i-- {
		if !rt.Decisions[i].Keep {
			out = append(out, rt.Decisions[i].ID)
		}
	}
	return out
}

// Decide applies b's retention policy at time now to the snapshots of b
// that this host made in r (repo.Repository.Mine).
// A block without a policy keeps everything.
func Decide(ctx context.Context, r *repo.Repository, b *config.Backup, now time.Time) (*Retention, error) {
	rt := &Retention{Backup: b.Name, Policy: PolicyString(b.Retention), Decisions: []Decision{}}
	list, err := own(ctx, r, b)
	if err != nil {
		return nil, err
	}
	decisions := retention.Apply(list, Policy(b.Retention), now)
	held, err := heldIDs(ctx, r, decisions)
	if err != nil {
		return nil, err
	}
	for _, d := range decisions {
		reasons := d.Reasons
		if reasons == nil {
			reasons = []string{}
		}
		keep := d.Keep
		if h, ok := held[d.Snapshot.ID]; ok {
			keep, reasons = true, append(reasons, "held by "+h)
		}
		rt.Decisions = append(rt.Decisions, Decision{ID: d.Snapshot.ID, Time: d.Snapshot.Time, Keep: keep, Reasons: reasons})
	}
	return rt, nil
}

// heldIDs says which snapshots the decisions forget are held (repo.Hold),
// and by whom. It reads the holds only when something would be forgotten.
func heldIDs(ctx context.Context, r *repo.Repository, ds []retention.Decision) (map[string]string, error) {
	out := map[string]string{}
	if !slices.ContainsFunc(ds, func(d retention.Decision) bool { return !d.Keep }) {
		return out, nil
	}
	holds, err := r.Holds(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if hs := holds[d.Snapshot.ID]; len(hs) > 0 && !d.Keep {
			out[d.Snapshot.ID] = hs[0].String()
		}
	}
	return out, nil
}

// own lists the snapshots of b that this host made in r, oldest first:
// other hosts' snapshots are theirs to forget.
func own(ctx context.Context, r *repo.Repository, b *config.Backup) ([]retention.Snapshot, error) {
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	var list []retention.Snapshot
	for _, m := range snaps {
		if m.Backup == b.Name && r.Mine(m) {
			list = append(list, retention.Snapshot{ID: m.ID, Time: m.Time})
		}
	}
	return list, nil
}

// newSnapshotID stands for the snapshot a plan is about to create.
const newSnapshotID = "(new)"

// Forgettable lists the snapshots of backup b that its retention policy
// forgets, oldest first, for a plan made before the backup runs: the
// snapshot about to be made counts as the newest one. r may be nil (no
// repository yet).
func Forgettable(ctx context.Context, r *repo.Repository, b *config.Backup, now time.Time) ([]string, error) {
	p := Policy(b.Retention)
	if r == nil || p.Empty() {
		return nil, nil
	}
	list, err := own(ctx, r, b)
	if err != nil {
		return nil, err
	}
	list = append(list, retention.Snapshot{ID: newSnapshotID, Time: now})
	decisions := retention.Apply(list, p, now)
	held, err := heldIDs(ctx, r, decisions)
	if err != nil {
		return nil, err
	}
	var out []string
	for i := len(decisions) - 1; i >= 0; i-- {
		d := decisions[i]
		if _, ok := held[d.Snapshot.ID]; !d.Keep && !ok && d.Snapshot.ID != newSnapshotID {
			out = append(out, d.Snapshot.ID)
		}
	}
	return out, nil
}
