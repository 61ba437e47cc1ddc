package cli

import (
	"context"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/deploy"
	"github.com/velinhq/velin/engine/txn"
	"github.com/velinhq/velin/engine/workspace"
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
	return deployTarget{dp}, nil
}

// deployTarget adapts a deploy.Deployer to txn.Target.
type deployTarget struct{ *deploy.Deployer }

// Current is the version of the current release ("" when none).
func (t deployTarget) Current(ctx context.Context) (string, error) {
	rel, err := t.Deployer.Current(ctx)
	return rel.Version, err
}
