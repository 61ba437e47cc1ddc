package cli

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/deploy"
	"github.com/velinhq/velin/engine/workspace"
)

// armDeployRecovery makes every plan this command loads finish or undo,
// first, the to-versions a crash interrupted (kill -9, power loss) in its
// deployments (deploy.Recover), as recoverAtStart does for transactions.
// Commands marked annotationNoRecover are left alone.
func (g *globalOptions) armDeployRecovery(cmd *cobra.Command) {
	for c := cmd; c != nil; c = c.Parent() {
		if c.Annotations[annotationNoRecover] != "" {
			return
		}
	}
	ctx := cmd.Context()
	g.onLoad = func(ws *workspace.Workspace) { g.recoverDeployments(ctx, ws) }
}

// recoverDeployments resumes each deployment's journal. It costs one stat
// of the journal file per deployment when there is nothing to do; problems
// are warnings (the command runs anyway; to-version retries the recovery
// and fails when it fails again).
func (g *globalOptions) recoverDeployments(ctx context.Context, ws *workspace.Workspace) {
	if ctx == nil {
		ctx = context.Background()
	}
	var addrs []string
	for addr := range ws.Config.Deployments {
		addrs = append(addrs, addr)
	}
	sort.Strings(addrs)
	for _, addr := range addrs {
		d := ws.Config.Deployments[addr]
		dp, err := g.deployer(ws, d)
		if err == nil {
			_, err = dp.RecoverIfIdle(ctx)
		}
		var rb *deploy.RolledBackError
		switch {
		case errors.As(err, &rb):
			g.warn("deployment " + d.Name + ": an interrupted to-version was finished and failed: " + err.Error())
			g.notifyReturned(ctx, ws, d, rb, time.Time{})
		case err != nil:
			g.warn("deployment " + d.Name + ": recovery of an interrupted to-version: " + err.Error())
		}
	}
}
