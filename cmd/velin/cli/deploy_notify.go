package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/deploy"
	"github.com/velinhq/velin/engine/notify"
	"github.com/velinhq/velin/engine/txn"
	"github.com/velinhq/velin/engine/workspace"
)

// Deployment events (docs/notifications.md). Each goes to the notify
// blocks of the deployment's `notify` list when its level passes the
// deployment's notify_level.
const (
	eventDeployed      = "deployment.succeeded"      // info: to-version or apply -deployment done
	eventReturned      = "deployment.returned"       // error: the new release failed, the one before is back (exit 3)
	eventRolledBack    = "deployment.rolled_back"    // a transaction was rolled back (error unless requested)
	eventCommitRefused = "deployment.commit_refused" // error: a commit came too late
)

// notifyDeployment fills in m's common fields and sends it to d's notify
// blocks, as d.NotifyLevel says. Delivery problems are logged, never
// fatal; a Ctrl-C does not cut the delivery short.
func (g *globalOptions) notifyDeployment(ctx context.Context, ws *workspace.Workspace, d *config.Deployment, m notify.Message) {
	if ws == nil || d == nil || len(d.Notify) == 0 || !notify.Wants(d.NotifyLevel, m.Level) {
		return
	}
	addrs := make([]string, len(d.Notify))
	for i, ref := range d.Notify {
		addrs[i] = ref.Addr
	}
	host, _ := os.Hostname()
	m.Schema, m.Plan, m.Host, m.Block = notify.Schema, ws.Config.Dir, host, d.Addr()
	m.Error, m.Summary = g.redact(m.Error), g.redact(m.Summary)
	if m.Finished.IsZero() {
		m.Finished = g.env.Clock().UTC()
	}
	if m.Started.IsZero() {
		m.Started = m.Finished
	}
	notify.Alert(context.WithoutCancel(ctx), ws.Config, addrs, m, notify.DefaultPolicy(), notify.Env{}, func(addr, msg string) {
		g.errf("velin: notify %s: %s\n", addr, g.redact(msg))
	})
}

// notifySwitch reports the end of a to-version (or apply -deployment):
// done (info) or returned to the release before (error).
func (g *globalOptions) notifySwitch(ctx context.Context, ws *workspace.Workspace, d *config.Deployment, version string, started time.Time, err error) {
	if rb, ok := asRolledBack(err); ok {
		g.notifyReturned(ctx, ws, d, rb, started)
		return
	}
	if err == nil {
		g.notifyDeployment(ctx, ws, d, notify.Message{Event: eventDeployed, Level: notify.LevelInfo, Started: started,
			Summary: fmt.Sprintf("deployment %s: %s is current and healthy", d.Name, version)})
	}
}

// notifyReturned reports a release that failed and was replaced by the one
// that ran before (by to-version, or by the recovery of one: started is
// then zero, the time of the recovery).
func (g *globalOptions) notifyReturned(ctx context.Context, ws *workspace.Workspace, d *config.Deployment, rb *deploy.RolledBackError, started time.Time) {
	g.notifyDeployment(ctx, ws, d, notify.Message{Event: eventReturned, Level: notify.LevelError,
		Started: started, Error: rb.Failed, Summary: rb.Error()})
}

// notifyTxRolledBack reports a transaction's rollback: by the watchdog or
// the recovery at start (error), or asked for with `velin rollback
// rollback` (warning).
func (g *globalOptions) notifyTxRolledBack(ctx context.Context, ws *workspace.Workspace, d *config.Deployment, t *txn.Tx, why string, err error) {
	snap, _ := t.Snapshot()
	m := notify.Message{Event: eventRolledBack, Level: notify.LevelError, Started: t.Begin().Time,
		Summary: fmt.Sprintf("transaction %s: %s; %s to release %s", t.ID(), why, outcomeText(txn.Outcome{Err: err}), dash(snap.Release))}
	if why == "" {
		m.Level, m.Summary = notify.LevelWarning, fmt.Sprintf("transaction %s rolled back on request to release %s", t.ID(), dash(snap.Release))
	}
	if err != nil {
		m.Level, m.Error = notify.LevelError, err.Error()
	}
	g.notifyDeployment(ctx, ws, d, m)
}

// notifyRollback is the watchdog's and the recovery's notification of an
// automatic rollback: the plan is the one the transaction manager loaded.
func (g *globalOptions) notifyRollback(ctx context.Context, o txn.Outcome, t *txn.Tx) {
	ws, d := g.openedDeployment(o.Deployment)
	g.notifyTxRolledBack(ctx, ws, d, t, o.Why+" without a commit", o.Err)
}

// openedDeployment finds deployment name in the plans the transaction
// manager loaded, the latest first.
func (g *globalOptions) openedDeployment(name string) (*workspace.Workspace, *config.Deployment) {
	if g.txOpened == nil {
		return nil, nil
	}
	for i := len(*g.txOpened) - 1; i >= 0; i-- {
		ws := (*g.txOpened)[i]
		if d, ok := ws.Config.Deployments["deployment."+name]; ok {
			return ws, d
		}
	}
	return nil, nil
}

// notifyCommitRefused reports a commit that came too late (or after a
// rollback began): the new release is not kept.
func (g *globalOptions) notifyCommitRefused(ctx context.Context, m *txn.Manager, ws *workspace.Workspace, d *config.Deployment, err error) {
	msg := notify.Message{Event: eventCommitRefused, Level: notify.LevelError, Error: err.Error(),
		Summary: fmt.Sprintf("deployment %s: commit refused: %v", d.Name, err)}
	if t, lerr := m.Latest(d.Name); lerr == nil && t != nil {
		msg.Started = t.Begin().Time
	}
	g.notifyDeployment(ctx, ws, d, msg)
}
