package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/plan"
	"github.com/velinhq/velin/engine/workspace"
)

type planOptions struct {
	sel      selectionFlags
	Out      string
	Detailed bool
	Strategy string
}

func newPlanCommand(g *globalOptions) *cobra.Command {
	o := &planOptions{}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what apply would do, from live facts, without changing anything",
		Long: `Plan inspects every selected source (is it reachable, how big is it), the
repository (which parent snapshot an incremental backup builds on, which
snapshots retention would forget) and lists the actions in order:
  + adds to a repository   ~ changes something in place   - removes

With -restore NAME it shows what that restore block would overwrite.

Exit codes: 0 success (with -detailed-exitcode: no changes), 1 error,
2 changes present (only with -detailed-exitcode); 10, 11, 12 and 130 as on
every command (velin --help).`,
		Example: `  velin plan
  velin plan -backup nightly -out nightly.plan
  velin plan -restore site -snapshot 20261121-0515
  velin plan --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				return runPlan(ctx, g, ws, o)
			})(cmd.Context())
		},
	}
	o.sel.AddFlags(cmd)
	cmd.Flags().StringVar(&o.Out, "out", "", "save the plan to `FILE`, to run later with: velin apply FILE")
	cmd.Flags().BoolVar(&o.Detailed, "detailed-exitcode", false, "exit 2 when the plan has changes, 0 when it has none")
	cmd.Flags().StringVar(&o.Strategy, "strategy", "", "override every backup's strategy: full or incremental")
	return cmd
}

func runPlan(ctx context.Context, g *globalOptions, ws *workspace.Workspace, o *planOptions) error {
	p, err := makePlan(ctx, g, ws, o.sel, o.Strategy)
	if err != nil {
		return err
	}
	p.Transactions = g.planTransactions(ws)
	p.Deployments = g.planDeployments(ctx, ws)
	if g.JSON {
		err = g.printJSON(p)
	} else {
		err = p.Render(redactWriter(g, g.env.Stdout))
	}
	if err != nil {
		return err
	}
	if errs := p.Errors(); len(errs) > 0 {
		if g.JSON {
			return planFailure(p, fmt.Errorf("plan: %d action(s) cannot run: %s", len(errs), strings.Join(errs, "; ")))
		}
		return planFailure(p, fmt.Errorf("plan: %d action(s) cannot run (see above)", len(errs)))
	}
	if o.Out != "" {
		if err := p.Save(o.Out); err != nil {
			return err
		}
		if !g.JSON {
			g.out("\nSaved the plan to %s. To perform exactly these actions, run: velin apply %s\n", o.Out, o.Out)
		}
	}
	if o.Detailed && p.HasChanges() {
		return &exitError{code: 2, reported: true}
	}
	return nil
}

func makePlan(ctx context.Context, g *globalOptions, ws *workspace.Workspace, sel selectionFlags, strategy string) (*plan.Plan, error) {
	if strategy != "" && strategy != "full" && strategy != "incremental" {
		return nil, fmt.Errorf("plan: -strategy must be full or incremental, not %q", strategy)
	}
	gr, err := g.build(ws, sel.selection())
	if err != nil {
		return nil, err
	}
	return plan.Make(ctx, ws, gr, plan.Options{Selection: sel.selection(), Snapshot: sel.Snapshot, Strategy: strategy})
}
