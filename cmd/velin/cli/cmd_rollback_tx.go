package cli

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/txn"
	"github.com/velinhq/velin/engine/workspace"
)

const txExitCodes = `
Exit codes:
  0  done
  1  error
  3  rolled back (recover: a transaction was rolled back; commit: the deadline
     had passed and the watchdog or recovery rolled it back)
  4  refused: a transaction is already open (begin), or the commit came after
     the deadline or after a rollback began`

// rollbackTxCommands are the transaction commands of `velin rollback`:
// begin, commit, rollback, status, recover and the hidden watchdog.
func rollbackTxCommands(g *globalOptions) []*cobra.Command {
	return []*cobra.Command{
		newTxBeginCommand(g), newTxCommitCommand(g), newTxRollbackCommand(g),
		newTxStatusCommand(g), newTxRecoverCommand(g), newTxWatchdogCommand(g),
	}
}

// txOptions are the flags the transaction commands share.
type txOptions struct {
	Deployment string
	Timeout    time.Duration
}

func (o *txOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.Deployment, "deployment", "", "the deployment block (default: the only one)")
}

// withDeployment loads the plan and picks the deployment.
func withDeployment(g *globalOptions, o *txOptions, fn func(ctx context.Context, ws *workspace.Workspace, d *config.Deployment) error) func(context.Context) error {
	return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
		d, err := pickDeployment(ws, o.Deployment)
		if err != nil {
			return err
		}
		return fn(ctx, ws, d)
	})
}

func newTxBeginCommand(g *globalOptions) *cobra.Command {
	o := &txOptions{}
	cmd := &cobra.Command{
		Use:   "begin",
		Short: "Record the running release and arm a watchdog that rolls back unless committed in time",
		Long: `Begin records, durably and before anything changes, the deployment's current
release, a snapshot of its config paths, its schema version, the deadline
(now + --timeout, default the transaction block's timeout) as an absolute
UTC time and the machine's boot id, in the journal under $VELIN_STATE_DIR
(default /var/lib/velin). Then it starts a watchdog, a detached process that
outlives the command: when the deadline passes without ` + "`velin rollback commit`" + `,
it puts the recorded release, config and schema back. If the machine or
velin crashes meanwhile, the next velin command (or ` + "`velin rollback recover`" + `
at boot) rolls back at once.

One transaction may be open per deployment: a second begin is refused
(exit 4) and names the open one. A begin that fails leaves nothing armed.
` + txExitCodes,
		Example: `  velin rollback begin --timeout 10m
  velin rollback to-version v1.2.0 && ./smoke-tests && velin rollback commit
  velin rollback begin --deployment api --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDeployment(g, o, func(ctx context.Context, ws *workspace.Workspace, d *config.Deployment) error {
				return runTxBegin(ctx, g, o, ws, d)
			})(cmd.Context())
		},
	}
	o.AddFlags(cmd)
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 0, "how long until the watchdog rolls back (default: the deployment's transaction timeout, 10m)")
	return cmd
}

func runTxBegin(ctx context.Context, g *globalOptions, o *txOptions, ws *workspace.Workspace, d *config.Deployment) error {
	timeout := o.Timeout
	if timeout == 0 {
		timeout = d.Transaction.Timeout
	}
	ref, err := g.planRef()
	if err != nil {
		return err
	}
	tg, err := g.txTarget(ctx, ws, d)
	if err != nil {
		return err
	}
	m, closeAll := g.txManager()
	defer closeAll()
	bo := txn.BeginOptions{Deployment: d.Name, Timeout: timeout, Plan: ref, Target: tg, Arm: g.armWatchdog}
	if b := d.Transaction.Backup; b != nil {
		bo.Backup = func(ctx context.Context) (string, error) { return g.txBackup(ctx, ws, b.Addr) }
	}
	t, err := m.Begin(ctx, bo)
	if err != nil {
		return txError(err)
	}
	if g.JSON {
		return g.printJSON(txStatus(m, t))
	}
	snap, _ := t.Snapshot()
	dl := t.Begin().Deadline
	g.out("Transaction %s begun on deployment %s.\n", t.ID(), d.Name)
	g.out("  recorded: release %s, schema %s, config snapshot %s\n", dash(snap.Release), dash(snap.Schema), dash(snap.ConfigSnapshot))
	if snap.Database != "" {
		g.out("  database snapshot: %s (held; a rollback restores it when the schema cannot go down)\n", snap.Database)
	}
	g.out("  deadline: %s (in %s)\n", dl.Format(time.RFC3339), dl.Sub(m.Now()).Round(time.Second))
	g.out("Deploy, then run `velin rollback commit` before the deadline; without it velin puts release %s back.\n", dash(snap.Release))
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newTxCommitCommand(g *globalOptions) *cobra.Command {
	o := &txOptions{}
	cmd := &cobra.Command{
		Use:   "commit",
		Short: "Check health, then close the open transaction (the new release stays)",
		Long: `Commit runs the deployment's health check and, when it passes, closes the open
transaction atomically (a commit record in the journal) before it reports
success; the watchdog then exits. A failed health check leaves the
transaction open (exit 1): fix and commit again, or roll back. A commit
after the deadline, or once a rollback began, is refused (exit 4).
` + txExitCodes,
		Example: `  velin rollback commit
  velin rollback commit --deployment api --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDeployment(g, o, func(ctx context.Context, ws *workspace.Workspace, d *config.Deployment) error {
				tg, err := g.txTarget(ctx, ws, d)
				if err != nil {
					return err
				}
				m, closeAll := g.txManager()
				defer closeAll()
				t, err := m.Commit(ctx, d.Name, tg)
				if errors.Is(err, txn.ErrRefused) {
					g.notifyCommitRefused(ctx, m, ws, d, err)
				}
				if err != nil {
					return txError(err)
				}
				if g.JSON {
					return g.printJSON(txStatus(m, t))
				}
				g.out("Transaction %s committed: deployment %s keeps its new release.\n", t.ID(), d.Name)
				return nil
			})(cmd.Context())
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func newTxRollbackCommand(g *globalOptions) *cobra.Command {
	o := &txOptions{}
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Roll the open transaction back now: release, config and schema (or database) as at begin",
		Long: `Rollback puts back what begin recorded: it restores the config snapshot; with
transaction.backup, it migrates the schema down (with the newer release's
migration files) or, when it cannot (no migrate block, or the down migration
fails), stops the service and restores the database snapshot taken at begin
in place, as ` + "`velin backup restore ID --yes`" + ` would; then it switches back to the
recorded release (or, when that release is still current, restarts it) and
checks its health. Each action is recorded in the journal when it succeeds,
so a rollback cut by a crash resumes where it stopped; a rollback whose
action failed is retried by running this command again. ` + "`velin rollback status`" + `
lists the actions.
` + txExitCodes,
		Example: `  velin rollback rollback
  velin rollback rollback --deployment api --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDeployment(g, o, func(ctx context.Context, ws *workspace.Workspace, d *config.Deployment) error {
				tg, err := g.txTarget(ctx, ws, d)
				if err != nil {
					return err
				}
				m, closeAll := g.txManager()
				defer closeAll()
				t, err := m.Rollback(ctx, d.Name, tg)
				if t != nil {
					g.notifyTxRolledBack(ctx, ws, d, t, "", err)
				}
				if t != nil && g.JSON {
					if jerr := g.printJSON(txStatus(m, t)); jerr != nil {
						return jerr
					}
				}
				if err != nil {
					return txError(err)
				}
				if !g.JSON {
					snap, _ := t.Snapshot()
					g.out("Transaction %s rolled back: deployment %s runs release %s again.\n", t.ID(), d.Name, dash(snap.Release))
				}
				return nil
			})(cmd.Context())
		},
	}
	o.AddFlags(cmd)
	return cmd
}
