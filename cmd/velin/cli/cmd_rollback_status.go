package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/plan"
	"github.com/velinhq/velin/engine/txn"
	"github.com/velinhq/velin/engine/workspace"
)

// txStatusJSON is a transaction as status and the other commands' --json
// print it.
type txStatusJSON struct {
	Tx             string    `json:"tx"`
	Deployment     string    `json:"deployment"`
	State          string    `json:"state"`
	Reason         string    `json:"reason,omitempty"`
	Began          time.Time `json:"began"`
	Deadline       time.Time `json:"deadline"`
	SecondsLeft    float64   `json:"seconds_left"`
	Release        string    `json:"release,omitempty"`
	Schema         string    `json:"schema,omitempty"`
	ConfigSnapshot string    `json:"config_snapshot,omitempty"`
	// Database is the snapshot of transaction.backup taken at begin.
	Database string     `json:"database_snapshot,omitempty"`
	Watchdog string     `json:"watchdog"` // alive, gone, or "" once the transaction ended
	Ended    *time.Time `json:"ended,omitempty"`
	Message  string     `json:"message,omitempty"`
	Rollback []txn.Step `json:"rollback"` // what a rollback does (or did)
}

func txStatus(m *txn.Manager, t *txn.Tx) txStatusJSON {
	b := t.Begin()
	snap, _ := t.Snapshot()
	s := txStatusJSON{
		Tx: t.ID(), Deployment: b.Deployment, State: t.State(), Reason: t.RollbackReason(),
		Began: b.Time, Deadline: b.Deadline, Release: snap.Release, Schema: snap.Schema,
		ConfigSnapshot: snap.ConfigSnapshot, Database: snap.Database, Message: t.Last().Message, Rollback: txn.Plan(t),
	}
	if s.Rollback == nil {
		s.Rollback = []txn.Step{}
	}
	if t.Ended() {
		end := t.Last().Time
		s.Ended = &end
		return s
	}
	s.SecondsLeft = max(0, b.Deadline.Sub(m.Now()).Seconds())
	s.Watchdog = "gone"
	if t.WatchdogAlive() {
		s.Watchdog = "alive"
	}
	return s
}

func newTxStatusCommand(g *globalOptions) *cobra.Command {
	o := &txOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the open transaction, its deadline and what a rollback would do",
		Long: `Status shows the deployment's open transaction (or else the last one and how
it ended): its deadline, whether its watchdog is alive, what begin recorded
and the actions a rollback runs. It reads the local journal only.
` + txExitCodes,
		Example: `  velin rollback status
  velin rollback status --deployment api --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDeployment(g, o, func(ctx context.Context, ws *workspace.Workspace, d *config.Deployment) error {
				m, closeAll := g.txManager()
				defer closeAll()
				t, err := m.Latest(d.Name)
				if err != nil {
					return err
				}
				if g.JSON {
					if t == nil {
						return g.printJSON(map[string]any{"deployment": d.Name, "state": "none"})
					}
					return g.printJSON(txStatus(m, t))
				}
				printTxStatus(g, d.Name, t, m)
				return nil
			})(cmd.Context())
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func printTxStatus(g *globalOptions, dep string, t *txn.Tx, m *txn.Manager) {
	if t == nil {
		g.out("Deployment %s has no transaction.\n", dep)
		return
	}
	s := txStatus(m, t)
	g.out("Transaction %s of deployment %s: %s", s.Tx, dep, s.State)
	if s.Reason != "" {
		g.out(" (%s)", s.Reason)
	}
	g.out("\n  began %s, deadline %s", s.Began.Format(time.RFC3339), s.Deadline.Format(time.RFC3339))
	if s.Ended == nil {
		g.out(" (%s left), watchdog %s", time.Duration(s.SecondsLeft*float64(time.Second)).Round(time.Second), s.Watchdog)
	} else {
		g.out(", ended %s", s.Ended.Format(time.RFC3339))
	}
	g.out("\n")
	if s.Message != "" {
		g.out("  %s\n", s.Message)
	}
	if s.Database != "" {
		g.out("  database snapshot %s taken at begin, held against retention until the transaction ends\n", s.Database)
	}
	if s.Ended == nil && len(s.Rollback) > 0 {
		g.out("  A rollback would:\n")
		for _, st := range s.Rollback {
			g.out("    - %s\n", st.Description)
		}
	}
}

func newTxRecoverCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recover",
		Short: "Finish interrupted to-versions and roll back transactions left by a crash or a reboot (for a boot-time unit)",
		Long: `Recover first finishes or undoes every to-version that a crash (kill -9, power
loss) cut on this machine, from its journal: one cut at stop is undone (the
release that ran before is started again), one cut later is finished (and
returns to the earlier release when the new one is not healthy), a cut return
is completed. Then it scans the transaction journal and rolls back, at once,
every transaction that has no commit and whose deadline passed, whose
watchdog is gone, or that began before the machine last booted; it also
finishes a rollback cut by a crash. Every velin command does the same before
it runs; this command is for a boot-time unit ordered before the service
(docs/operations.md). It reads the plan each switch and transaction recorded
(to-versions are found through $VELIN_STATE_DIR/deployments.d); -var values
must come from VELIN_VAR_*.

Exit codes:
  0  nothing to do, or an interrupted to-version was finished
  1  error (a recovery or rollback failed: see ` + "`velin rollback status`" + `)
  3  rolled back: a transaction, or an interrupted to-version undone or
     returned from`,
		Example: `  velin rollback recover
  VELIN_STATE_DIR=/var/lib/velin velin rollback recover --json`,
		Annotations: map[string]string{annotationNoRecover: "true"},
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			deps, err := g.recoverOrigins(cmd.Context())
			if err != nil {
				return err
			}
			m, closeAll := g.txManager()
			defer closeAll()
			m.Log = nil
			outs, err := m.Recover(cmd.Context())
			if err != nil {
				return err
			}
			return reportRecovered(g, deps, outs)
		},
	}
	return cmd
}

func reportRecovered(g *globalOptions, deps []deployRecovery, outs []txn.Outcome) error {
	if g.JSON {
		if err := g.printJSON(map[string]any{"recovered": cmpNil(outs), "deployments": cmpNil(deps)}); err != nil {
			return err
		}
	}
	var failed []error
	rolledBack := false
	for _, r := range deps {
		if !g.JSON {
			g.out("Deployment %s: %s.\n", r.Deployment, recoveryText(r))
		}
		if r.Err != nil {
			failed = append(failed, r.Err)
		}
		rolledBack = rolledBack || r.RolledBack()
	}
	for _, o := range outs {
		if !g.JSON {
			g.out("Transaction %s of deployment %s: %s: %s.\n", o.TxID, o.Deployment, o.Why, outcomeText(o))
		}
		if o.Err != nil {
			failed = append(failed, o.Err)
		}
		rolledBack = true
	}
	switch {
	case len(failed) > 0:
		return &exitError{code: exitFailure, err: errors.Join(failed...), reported: !g.JSON}
	case rolledBack:
		return &exitError{code: exitRolledBack, reported: true}
	}
	if !g.JSON && len(deps) == 0 {
		g.out("Nothing to recover.\n")
	}
	return nil
}

// cmpNil is s, or an empty slice for JSON's [] instead of null.
func cmpNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func newTxWatchdogCommand(g *globalOptions) *cobra.Command {
	var id string
	cmd := &cobra.Command{
		Use:         "watchdog",
		Short:       "The watchdog of a transaction (started by begin)",
		Hidden:      true,
		Annotations: map[string]string{annotationNoRecover: "true"},
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, closeAll := g.txManager()
			defer closeAll()
			m.Log("watchdog of transaction " + id + " started, pid " + fmt.Sprint(os.Getpid()))
			o, err := m.Watch(cmd.Context(), id, txn.WatchdogOptions{
				Ready:  func() { txn.SignalReady(g.getenv) },
				Notify: g.notifyRollback,
			})
			if err != nil {
				return err
			}
			if o == nil {
				m.Log("transaction " + id + " ended; the watchdog exits")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&id, "tx", "", "the transaction to watch")
	return cmd
}

// planTransactions are the open transactions of ws's deployments, for
// `velin plan`. A journal that cannot be read is a warning.
func (g *globalOptions) planTransactions(ws *workspace.Workspace) []plan.Transaction {
	if len(ws.Config.Deployments) == 0 {
		return nil
	}
	m, closeAll := g.txManager()
	defer closeAll()
	txs, err := m.Journal.Open()
	if err != nil {
		g.warn("transactions: " + err.Error())
		return nil
	}
	var out []plan.Transaction
	for _, t := range txs {
		if _, ok := ws.Config.Deployments["deployment."+t.Begin().Deployment]; !ok || t.Ended() {
			continue
		}
		s := txStatus(m, t)
		pt := plan.Transaction{Deployment: s.Deployment, ID: s.Tx, State: s.State, Deadline: s.Deadline, Watchdog: s.Watchdog}
		for _, st := range s.Rollback {
			pt.Rollback = append(pt.Rollback, st.Description)
		}
		out = append(out, pt)
	}
	return out
}
