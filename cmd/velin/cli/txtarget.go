package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/deploy"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/restore"
	"github.com/velinhq/velin/engine/txn"
	"github.com/velinhq/velin/engine/workspace"
	"github.com/velinhq/velin/providers/provider"
)

// txTarget opens deployment d as a transaction's Target. A to-version a
// crash interrupted is finished or undone first.
func (g *globalOptions) txTarget(ctx context.Context, ws *workspace.Workspace, d *config.Deployment) (txn.Target, error) {
	dp, err := g.deployer(ws, d)
	if err != nil {
		return nil, err
	}
	if _, err := dp.Recover(ctx); err != nil {
		return nil, err
	}
	return deployTarget{Deployer: dp, g: g, ws: ws}, nil
}

// deployTarget adapts a deploy.Deployer to txn.Target; the database
// snapshot (transaction.backup) is restored and held through the plan's
// targets.
type deployTarget struct {
	*deploy.Deployer
	g  *globalOptions
	ws *workspace.Workspace
}

// Current is the version of the current release ("" when none).
func (t deployTarget) Current(ctx context.Context) (string, error) {
	rel, err := t.Deployer.Current(ctx)
	return rel.Version, err
}

// RestoreDatabase stops the service, then restores every source of
// snapshot id in place through engine/restore, as `velin backup restore
// ID --yes` does (no confirmation: the rollback is what was asked for).
func (t deployTarget) RestoreDatabase(ctx context.Context, id string) error {
	loc, err := findSnapshot(ctx, t.ws, id, t.backupTarget())
	if err != nil {
		return err
	}
	if err := t.Stop(ctx); err != nil {
		return err
	}
	t.g.errf("velin: %s: restoring database snapshot %s from %s\n", t.Name(), loc.Snapshot.ID, loc.Target)
	m := loc.Snapshot
	req := restore.Request{Repo: loc.Repo, Snapshot: m}
	req.Sources, err = restore.Select(m, nil, func(key string) (provider.Source, error) {
		return t.ws.Source(m.Source(key))
	})
	if err != nil {
		return err
	}
	p, err := restore.Prepare(ctx, req)
	if err != nil {
		return err
	}
	res, err := restore.Execute(ctx, p, restore.Options{})
	if err != nil {
		return err
	}
	return res.Err()
}

// backupTarget is the target of the transaction's backup block, where its
// snapshot was committed ("" when unknown: every target is searched), so
// that a copy_to target holding the same snapshot is no ambiguity.
func (t deployTarget) backupTarget() string {
	ref := t.Config().Transaction.Backup
	if ref == nil {
		return ""
	}
	if b, ok := t.ws.Config.Backups[ref.Addr]; ok {
		return b.Target.Addr
	}
	return ""
}

// HoldDatabase holds snapshot id in every target that has it.
func (t deployTarget) HoldDatabase(ctx context.Context, id, txID string) error {
	n := 0
	err := eachTargetRepo(ctx, t.ws, func(_ string, r *repo.Repository) error {
		if _, err := r.Snapshot(ctx, id); errors.Is(err, repo.ErrSnapshotNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		n++
		return r.PutHold(ctx, holdOf(t.g, t.Name(), id, txID))
	})
	if err == nil && n == 0 {
		err = fmt.Errorf("hold: no target has snapshot %s", id)
	}
	return err
}

// ReleaseDatabase removes transaction txID's hold on id from every target.
// The repository of the target the snapshot was committed to being
// missing (moved, unmounted) is an error, not a release: the hold stays
// (logged) until `velin rollback release-hold`. Other targets without a
// repository are skipped.
func (t deployTarget) ReleaseDatabase(ctx context.Context, id, txID string) error {
	home := t.backupTarget()
	for _, addr := range t.ws.TargetAddrs() {
		r, err := t.ws.Repo(ctx, addr, false)
		if err == nil && r == nil {
			if addr != home {
				continue
			}
			err = errors.New("the repository is missing")
		}
		if err == nil {
			err = r.DeleteHold(ctx, holdOf(t.g, t.Name(), id, txID))
		}
		if err != nil {
			return fmt.Errorf("release hold on %s: %s: %w", id, addr, err)
		}
	}
	return nil
}
