package cli

import (
	"context"
	"fmt"
	"sort"

	"github.com/velinhq/velin/engine/plan"
	"github.com/velinhq/velin/engine/workspace"
)

// planDeployments reads each deployment block's state for `velin plan`:
// nothing is created or changed.
func (g *globalOptions) planDeployments(ctx context.Context, ws *workspace.Workspace) []plan.Deployment {
	var out []plan.Deployment
	for _, d := range ws.Config.Deployments {
		pd := plan.Deployment{Name: d.Name}
		if err := g.fillDeployment(ctx, ws, &pd); err != nil {
			pd.Error = g.redact(err.Error())
		}
		out = append(out, pd)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (g *globalOptions) fillDeployment(ctx context.Context, ws *workspace.Workspace, pd *plan.Deployment) error {
	dp, err := g.deployer(ws, ws.Config.Deployments["deployment."+pd.Name])
	if err != nil {
		return err
	}
	cur, err := dp.Current(ctx)
	if err != nil {
		return err
	}
	s, err := dp.State()
	if err != nil {
		return err
	}
	vs, err := dp.Versions(ctx)
	if err != nil {
		return err
	}
	pd.Current, pd.Previous, pd.Pinned, pd.Versions = cur.Version, s.Previous, s.Pinned, len(vs)
	for v := range s.Bad {
		pd.Bad = append(pd.Bad, v)
	}
	return nil
}

// applyDeployment is `velin apply -deployment NAME -version V`: to-version
// with the plan's confirmation.
func applyDeployment(ctx context.Context, g *globalOptions, ws *workspace.Workspace, o *applyOptions) error {
	if o.Version == "" {
		return fmt.Errorf("apply: -deployment needs -version VERSION (see `velin rollback list`)")
	}
	d, err := pickDeployment(ws, o.Deployment)
	if err != nil {
		return err
	}
	dp, err := g.deployer(ws, d)
	if err != nil {
		return err
	}
	if _, err := dp.Find(ctx, o.Version); err != nil {
		return err
	}
	cur, err := dp.Current(ctx)
	if err != nil {
		return err
	}
	if !g.JSON {
		g.out("velin will deploy %s to deployment %s (current: %s): stop, migrate down if needed, switch, start, wait for health; on failure it returns to the current release.\n",
			o.Version, d.Name, orNone(cur.Version))
	}
	if !o.AutoApprove {
		ok, noAnswer := g.ask("\nDo you want to perform these actions?")
		if noAnswer || !ok {
			return &exitError{code: exitFailure, err: fmt.Errorf("apply cancelled: nothing was done (to deploy without a question, add -auto-approve)")}
		}
	}
	return deployError(runToVersion(ctx, g, ws, dp, o.Version))
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
