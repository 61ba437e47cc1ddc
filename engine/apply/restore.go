package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/plan"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/restore"
	"github.com/velinhq/velin/providers/provider"
)

// restoreRun is the state a restore block's nodes share.
type restoreRun struct {
	mu   sync.Mutex
	rt   *plan.RestoreTarget
	lock *repo.Lock
}

func (r *runner) restoreFor(ctx context.Context, owner string) (*restoreRun, error) {
	r.mu.Lock()
	rr, ok := r.restores[owner]
	if !ok {
		rr = &restoreRun{}
		r.restores[owner] = rr
	}
	r.mu.Unlock()
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if rr.rt != nil {
		return rr, nil
	}
	rs := r.ws.Config.Restores[owner]
	rt, err := plan.ResolveRestore(ctx, func(ctx context.Context, t string) (*repo.Repository, error) {
		return r.ws.Repo(ctx, t, false)
	}, r.ws.Config, rs, r.opts.Snapshot)
	if err != nil {
		return nil, err
	}
	lock, err := rt.Repo.Lock(ctx, false)
	if err != nil {
		return nil, err
	}
	rr.rt, rr.lock = rt, lock
	return rr, nil
}

// restore runs one source of a restore block through engine/restore, the
// code path `velin backup restore` uses too.
func (r *runner) restore(ctx context.Context, n *graph.Node) error {
	rr, err := r.restoreFor(ctx, n.Owner)
	if err != nil {
		return err
	}
	src := r.ws.Config.Sources[n.Addr]
	p, err := restore.Prepare(ctx, restore.Request{Repo: rr.rt.Repo, Snapshot: rr.rt.Snapshot, Named: true,
		Sources: []restore.Source{{Key: repo.SourceKey(src.Type, src.Name), Impl: src.Impl}},
		To:      rr.rt.Options.To, Include: rr.rt.Options.Include, Flush: rr.rt.Options.Flush, Globals: rr.rt.Options.Globals,
		Buckets: rr.rt.Options.Buckets, ToBucket: rr.rt.Options.ToBucket})
	if err != nil {
		return err
	}
	res, err := restore.Execute(ctx, p, restore.Options{Locked: true})
	if err != nil {
		return err
	}
	err = res.Err()
	var partial *provider.Partial
	if errors.As(err, &partial) {
		r.notePartial(n, partial) // every intact file was restored (exit code 3)
		partial.Op = "restore " + n.Addr
		return nil
	}
	if err != nil {
		return fmt.Errorf("from snapshot %s: %w", rr.rt.Snapshot.ID, err)
	}
	return nil
}

func (rr *restoreRun) close(ctx context.Context) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if rr.lock != nil {
		rr.lock.Unlock(ctx)
		rr.lock = nil
	}
}

// RestoreOutcome is what one restore block of a run did with each of its
// sources, in the order it restores them (one after the other: a failure
// stops the sources after it).
type RestoreOutcome struct {
	Restore     string   `json:"restore"`      // "restore.platform"
	Restored    []string `json:"restored"`     // source addresses
	Failed      []string `json:"failed"`       // what failed (its error is the node's)
	NotRestored []string `json:"not_restored"` // not started: skipped after a failure, or cancelled
}

// Complete says whether every source was restored.
func (o RestoreOutcome) Complete() bool { return len(o.Failed) == 0 && len(o.NotRestored) == 0 }

// String says it in one line: "restore.platform: restored
// source.postgres.app; FAILED source.s3.objects; NOT restored (left as
// they were): source.redis.cache".
func (o RestoreOutcome) String() string {
	parts := []string{"restored " + list(o.Restored)}
	if len(o.Failed) > 0 {
		parts = append(parts, "FAILED "+list(o.Failed))
	}
	if len(o.NotRestored) > 0 {
		parts = append(parts, "NOT restored (left as they were): "+list(o.NotRestored))
	}
	return o.Restore + ": " + strings.Join(parts, "; ")
}

func list(addrs []string) string {
	if len(addrs) == 0 {
		return "none"
	}
	return strings.Join(addrs, ", ")
}

// restoreOutcomes sorts the restore nodes of a run's results by block.
func restoreOutcomes(results []graph.Result) []RestoreOutcome {
	var out []RestoreOutcome
	at := map[string]int{}
	for _, res := range results {
		n := res.Node
		if n.Kind != graph.KindRestore {
			continue
		}
		i, ok := at[n.Owner]
		if !ok {
			i = len(out)
			at[n.Owner] = i
			out = append(out, RestoreOutcome{Restore: n.Owner})
		}
		o := &out[i]
		switch res.Status {
		case graph.StatusOK:
			o.Restored = append(o.Restored, n.Addr)
		case graph.StatusFailed:
			o.Failed = append(o.Failed, n.Addr)
		case graph.StatusCancelled:
			if res.Start.IsZero() {
				o.NotRestored = append(o.NotRestored, n.Addr)
			} else { // stopped midway: partly restored, as its error says
				o.Failed = append(o.Failed, n.Addr+" (interrupted)")
			}
		default:
			o.NotRestored = append(o.NotRestored, n.Addr)
		}
	}
	return out
}
