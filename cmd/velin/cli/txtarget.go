package cli

import (
	"context"
	"fmt"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/txn"
	"github.com/velinhq/velin/engine/workspace"
)

// txTarget opens deployment d as a transaction's Target.
func (g *globalOptions) txTarget(ctx context.Context, ws *workspace.Workspace, d *config.Deployment) (txn.Target, error) {
	return nil, fmt.Errorf("deployment %s: engine/deploy is not available yet", d.Name)
}
