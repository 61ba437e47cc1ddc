package apply

import (
	"context"
	"fmt"
	"sync"

	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/plan"
	"github.com/velinhq/velin/engine/repo"
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

func (r *runner) restore(ctx context.Context, n *graph.Node) error {
	rr, err := r.restoreFor(ctx, n.Owner)
	if err != nil {
		return err
	}
	tree, err := rr.rt.Repo.Tree(ctx, rr.rt.Snapshot, plan.SourceKey(n.Addr))
	if err != nil {
		return err
	}
	src := r.ws.Config.Sources[n.Addr]
	if err := src.Impl.Restore(ctx, tree, rr.rt.Options); err != nil {
		return fmt.Errorf("restore %s from %s: %w", n.Addr, rr.rt.Snapshot.ID, err)
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
