package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/apply"
	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/plan"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
)

type applyOptions struct {
	sel         selectionFlags
	Deployment  string // -deployment: deploy -version instead of running backups
	Version     string
	AutoApprove bool
	Parallelism int
	Strategy    string
	Destination string
}

func (o *applyOptions) AddFlags(cmd *cobra.Command) {
	o.sel.AddFlags(cmd)
	cmd.Flags().BoolVar(&o.AutoApprove, "auto-approve", false, "do not ask for confirmation")
	cmd.Flags().IntVar(&o.Parallelism, "parallelism", 4, "how many actions may run at once")
	cmd.Flags().StringVar(&o.Strategy, "strategy", "", "override every backup's strategy: full or incremental")
	cmd.Flags().StringVar(&o.Deployment, "deployment", "", "deploy a stored version to this deployment (with -version)")
	cmd.Flags().StringVar(&o.Version, "version", "", "the version -deployment deploys")
}

func newApplyCommand(g *globalOptions) *cobra.Command {
	o := &applyOptions{}
	cmd := &cobra.Command{
		Use:   "apply [PLANFILE]",
		Short: "Run the backups (or a restore) after showing the plan",
		Long: `Apply makes a plan, shows it and asks for 'yes' before doing it (skip the
question with -auto-approve). Given a plan file saved by 'velin plan -out',
it applies that plan without asking, and refuses if the configuration or a
repository changed since the plan was made.

Actions run in parallel (bounded by -parallelism); a failure skips what
depends on it; finally steps always run, also after Ctrl-C.

Exit codes: 0 everything succeeded, 1 something failed or was refused,
3 done with damage (with -deployment: the new release failed and the one
before was put back), 10 no repository, 11 locked, 12 wrong passphrase,
130 interrupted (the summary then says so).`,
		Example: `  velin apply
  velin apply -auto-approve -backup nightly
  velin plan -out nightly.plan && velin apply nightly.plan
  velin apply -restore site -snapshot 20261121-0515
  velin apply -deployment api -version v1.2.0`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return applySaved(cmd.Context(), g, o, args[0])
			}
			return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				if o.Deployment != "" {
					return applyDeployment(ctx, g, ws, o)
				}
				return applyFresh(ctx, g, ws, o)
			})(cmd.Context())
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func applyFresh(ctx context.Context, g *globalOptions, ws *workspace.Workspace, o *applyOptions) error {
	p, err := makePlan(ctx, g, ws, o.sel, o.Strategy)
	if err != nil {
		return err
	}
	if !g.JSON {
		if err := p.Render(redactWriter(g, g.env.Stdout)); err != nil {
			return err
		}
	}
	if errs := p.Errors(); len(errs) > 0 {
		if g.JSON { // the plan was not printed: name the problems
			return planFailure(p, fmt.Errorf("apply: %d action(s) cannot run: %s; nothing was done", len(errs), strings.Join(errs, "; ")))
		}
		return planFailure(p, fmt.Errorf("apply: %d action(s) cannot run (see the plan above); nothing was done", len(errs)))
	}
	if !p.HasChanges() {
		return nil
	}
	if !o.AutoApprove {
		ok, noAnswer := g.ask("\nDo you want to perform these actions?")
		if noAnswer {
			return &exitError{code: exitFailure, err: fmt.Errorf("apply cancelled: nothing was done. No answer came on standard input (not a terminal?): to apply without a question, run `velin apply -auto-approve`, or save the plan with `velin plan -out FILE` and run `velin apply FILE`")}
		}
		if !ok {
			return &exitError{code: exitFailure, err: fmt.Errorf("apply cancelled: nothing was done")}
		}
	}
	gr, err := g.build(ws, o.sel.selection())
	if err != nil {
		return err
	}
	g.errf("\n")
	return execute(ctx, g, ws, gr, p, o)
}

func applySaved(ctx context.Context, g *globalOptions, o *applyOptions, file string) error {
	p, err := plan.Read(file)
	if err != nil {
		return err
	}
	if g.Path == "" {
		g.Path = p.ConfigPath
	}
	ws, err := g.load()
	if err != nil {
		return err
	}
	defer ws.Close()
	if err := p.CheckStale(ctx, ws); err != nil {
		return err
	}
	gr, err := g.build(ws, p.Selection)
	if err != nil {
		return err
	}
	o.sel.Snapshot = p.Snapshot
	return execute(ctx, g, ws, gr, p, o)
}

// execute runs the graph and prints the outcome.
func execute(ctx context.Context, g *globalOptions, ws *workspace.Workspace, gr *graph.Graph, p *plan.Plan, o *applyOptions) error {
	rep := newReporter(g, p)
	var log io.Writer = g.env.Stderr
	if g.JSON {
		log = io.Discard
	}
	report, err := apply.Run(ctx, ws, gr, apply.Options{
		Parallelism: o.Parallelism, Strategy: o.Strategy, Snapshot: o.sel.Snapshot,
		Destination: o.Destination, Plan: p, Events: rep.event, Log: log,
	})
	rep.finish()
	if err != nil {
		return err
	}
	code, err := rep.summary(ctx, report, func(m *repo.Manifest) string { return targetOf(ws, m) })
	if err != nil {
		return err
	}
	if code != exitOK {
		return &exitError{code: code, reported: true}
	}
	return nil
}

// targetOf is the target address of a committed snapshot's backup.
func targetOf(ws *workspace.Workspace, m *repo.Manifest) string {
	if b, ok := ws.Config.Backups["backup."+m.Backup]; ok {
		return b.Target.Addr
	}
	return ""
}
