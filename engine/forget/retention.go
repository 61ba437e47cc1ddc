package forget

import (
	"context"
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
	for _, d := range retention.Apply(list, Policy(b.Retention), now) {
		reasons := d.Reasons
		if reasons == nil {
			reasons = []string{}
		}
		rt.Decisions = append(rt.Decisions, Decision{ID: d.Snapshot.ID, Time: d.Snapshot.Time, Keep: d.Keep, Reasons: reasons})
	}
	return rt, nil
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
	var out []string
	decisions := retention.Apply(list, p, now)
	for i := len(decisions) - 1; i >= 0; i-- {
		d := decisions[i]
		if !d.Keep && d.Snapshot.ID != newSnapshotID {
			out = append(out, d.Snapshot.ID)
		}
	}
	return out, nil
}
