package apply

import (
	"context"
	"errors"
	"fmt"
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
		To:      rr.rt.Options.To, Include: rr.rt.Options.Include, Flush: rr.rt.Options.Flush})
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
