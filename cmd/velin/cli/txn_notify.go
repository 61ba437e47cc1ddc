package cli

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/velinhq/velin/engine/notify"
	"github.com/velinhq/velin/engine/txn"
)

// notifyRollback tells every notify block of the transaction's plan that
// the watchdog rolled back (event deployment.rolled_back, level error):
// deployment blocks have no notify list of their own, and an automatic
// rollback is worth an alert wherever the plan sends them. Delivery
// problems are logged, never fatal.
func (g *globalOptions) notifyRollback(ctx context.Context, o txn.Outcome, t *txn.Tx) {
	if g.txOpened == nil || len(*g.txOpened) == 0 {
		return
	}
	ws := (*g.txOpened)[len(*g.txOpened)-1]
	var addrs []string
	for addr := range ws.Config.Notifies {
		addrs = append(addrs, addr)
	}
	if len(addrs) == 0 {
		return
	}
	sort.Strings(addrs)
	host, _ := os.Hostname()
	snap, _ := t.Snapshot()
	m := notify.Message{
		Schema: notify.Schema, Event: "deployment.rolled_back", Level: notify.LevelError,
		Plan: t.Begin().Plan.Dir, Host: host, Block: "deployment." + o.Deployment,
		Started: t.Begin().Time, Finished: g.env.Clock().UTC(), Error: g.redact(o.Error),
		Summary: fmt.Sprintf("transaction %s: %s without a commit; %s to release %s", o.TxID, o.Why, outcomeText(o), dash(snap.Release)),
	}
	notify.Alert(context.WithoutCancel(ctx), ws.Config, addrs, m, notify.DefaultPolicy(), notify.Env{}, func(addr, msg string) {
		g.errf("velin: notify %s: %s\n", addr, g.redact(msg))
	})
}
