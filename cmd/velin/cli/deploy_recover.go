package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/deploy"
	"github.com/velinhq/velin/engine/txn"
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
	g.onLoad = func(ws *workspace.Workspace) { g.recoverDeployments(ctx, ws, g.warn) }
}

// recoverDeployments resumes each deployment's journal, telling warn what
// it did. It costs one stat of the journal file per deployment when there
// is nothing to do; problems are warnings (the command runs anyway;
// to-version retries the recovery and fails when it fails again).
func (g *globalOptions) recoverDeployments(ctx context.Context, ws *workspace.Workspace, warn func(string)) {
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
		var rec *deploy.Recovery
		if err == nil {
			rec, err = dp.RecoverIfIdle(ctx)
		}
		var rb *deploy.RolledBackError
		switch {
		case errors.As(err, &rb):
			warn("deployment " + d.Name + ": an interrupted to-version was finished and failed: " + err.Error())
			g.notifyReturned(ctx, ws, d, rb, time.Time{})
		case err != nil:
			warn("deployment " + d.Name + ": recovery of an interrupted to-version: " + err.Error())
		case rec != nil:
			warn("deployment " + d.Name + ": " + recoveryText(deployRecovery{Recovery: *rec}))
		}
	}
}

// origins is this host's index of switched deployments:
// $VELIN_STATE_DIR/deployments.d (deploy.Origins).
func (g *globalOptions) origins() deploy.Origins {
	return deploy.Origins{Dir: filepath.Join(g.stateDir(), "deployments.d")}
}

// deployRecovery is what recovery did with one interrupted to-version,
// for `velin rollback recover`'s output.
type deployRecovery struct {
	deploy.Recovery
	Err   error  `json:"-"`
	Error string `json:"error,omitempty"`
}

// recoverOrigins finishes or undoes every to-version a crash interrupted
// on this host, found through the origins index with no plan at hand: it
// loads the plan each switch recorded and resumes its journal
// (deploy.RecoverIfIdle: a deployment another velin is switching is left
// to it). A plan that no longer loads is an outcome with an error.
func (g *globalOptions) recoverOrigins(ctx context.Context) ([]deployRecovery, error) {
	orgs, err := g.origins().Interrupted()
	var out []deployRecovery
	for _, org := range orgs {
		if r, acted := g.recoverOrigin(ctx, org); acted {
			out = append(out, r)
		}
	}
	return out, err
}

func (g *globalOptions) recoverOrigin(ctx context.Context, org deploy.Origin) (deployRecovery, bool) {
	fail := func(err error) (deployRecovery, bool) {
		r := deployRecovery{Recovery: deploy.Recovery{Deployment: org.Deployment}, Err: err}
		r.Error = err.Error()
		return r, true
	}
	var ref txn.PlanRef
	if err := json.Unmarshal(org.Plan, &ref); err != nil || (ref.Dir == "" && ref.File == "") {
		return fail(fmt.Errorf("recover deployment %s: the index names no plan (run a velin command with its plan)", org.Deployment))
	}
	g2, ws, d, err := g.loadRecorded(ref, org.Deployment)
	if ws != nil {
		defer ws.Close()
	}
	if err != nil {
		return fail(fmt.Errorf("recover deployment %s: %w", org.Deployment, err))
	}
	dp, err := g2.deployer(ws, d)
	if err != nil {
		return fail(fmt.Errorf("recover deployment %s: %w", org.Deployment, err))
	}
	if dir, _ := filepath.Abs(dp.StateDir()); dir != org.StateDir {
		return fail(fmt.Errorf("recover deployment %s: its plan now keeps its state in %s, not %s", org.Deployment, dir, org.StateDir))
	}
	rec, err := dp.RecoverIfIdle(ctx)
	if rec == nil && err == nil {
		return deployRecovery{}, false
	}
	r := deployRecovery{Recovery: deploy.Recovery{Deployment: org.Deployment}, Err: err}
	if rec != nil {
		r.Recovery = *rec
	}
	if rb, ok := asRolledBack(err); ok {
		r.Err = nil
		g2.notifyReturned(ctx, ws, d, rb, time.Time{})
	}
	if r.Err != nil {
		r.Error = r.Err.Error()
	}
	return r, true
}

// recoveryText says what recovery did with an interrupted to-version.
func recoveryText(r deployRecovery) string {
	switch {
	case r.Err != nil:
		return "recovery of an interrupted to-version FAILED: " + r.Err.Error()
	case r.Action == deploy.RecoveryUndone:
		return fmt.Sprintf("an interrupted to-version %s was undone: %s is current and was started again", r.To, r.Current)
	case r.Action == deploy.RecoveryFinished:
		return fmt.Sprintf("an interrupted to-version %s was finished: %s is current and healthy", r.To, r.Current)
	}
	return fmt.Sprintf("an interrupted to-version %s was finished but %s failed: returned to %s (%s is marked bad)", r.To, r.To, cmpOr(r.Current, "no release"), r.To)
}
