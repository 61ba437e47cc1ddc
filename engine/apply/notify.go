package apply

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/notify"
)

// alert sends each backup and restore block's notifications once the walk
// is over, on a context a Ctrl-C has not cancelled: bounded by the
// delivery policy, never failing the run.
func (r *runner) alert(ctx context.Context, results []graph.Result) {
	ctx = context.WithoutCancel(ctx)
	for _, m := range r.outcomes(results) {
		addrs, level := r.notifyOf(m.Block)
		if len(addrs) == 0 || !notify.Wants(level, m.Level) {
			continue
		}
		notify.Alert(ctx, r.ws.Config, addrs, m, r.opts.NotifyPolicy, notify.Env{}, func(addr, msg string) {
			r.emit(Event{Type: "warning", Node: m.Block, Message: "notify " + addr + ": " + msg})
		})
	}
}

// notifyOf returns a block's notify addresses and level.
func (r *runner) notifyOf(owner string) ([]string, string) {
	var refs []string
	level := ""
	if b, ok := r.ws.Config.Backups[owner]; ok {
		level = b.NotifyLevel
		for _, ref := range b.Notify {
			refs = append(refs, ref.Addr)
		}
	}
	if rs, ok := r.ws.Config.Restores[owner]; ok {
		level = rs.NotifyLevel
		for _, ref := range rs.Notify {
			refs = append(refs, ref.Addr)
		}
	}
	return refs, level
}

// outcomes makes one message per backup or restore block of the run, in
// the order their nodes ended.
func (r *runner) outcomes(results []graph.Result) []notify.Message {
	host, _ := os.Hostname()
	var out []notify.Message
	at := map[string]int{}
	for _, res := range results {
		owner := res.Node.Owner
		i, ok := at[owner]
		if !ok {
			i = len(out)
			at[owner] = i
			out = append(out, notify.Message{Schema: notify.Schema, Block: owner, Plan: r.ws.Config.Dir, Host: host, Level: notify.LevelInfo})
		}
		r.addResult(&out[i], res)
	}
	for i := range out {
		r.finishMessage(&out[i])
	}
	return out
}

func (r *runner) addResult(m *notify.Message, res graph.Result) {
	if !res.Start.IsZero() && (m.Started.IsZero() || res.Start.Before(m.Started)) {
		m.Started = res.Start
	}
	if res.End.After(m.Finished) {
		m.Finished = res.End
	}
	if res.Status == graph.StatusOK {
		return
	}
	m.Level = notify.LevelError
	if m.Error == "" && res.Err != nil && !errors.Is(res.Err, graph.ErrDependency) {
		m.Error = r.ws.Redactor.String(fmt.Sprintf("%s: %v", res.Node.ID, res.Err))
	}
}

// finishMessage fills in the event, snapshot and summary.
func (r *runner) finishMessage(m *notify.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	kind, verb := "backup", "saved"
	if b, ok := r.backups[m.Block]; ok {
		m.Backup = b.b.Name
		if b.committed != nil {
			m.Snapshot = b.committed.ID
		}
	}
	if rs, ok := r.restores[m.Block]; ok {
		kind, verb = "restore", "restored"
		if rs.rt != nil {
			m.Backup, m.Snapshot = rs.rt.Snapshot.Backup, rs.rt.Snapshot.ID
		}
	}
	if m.Level == notify.LevelInfo && r.partial[m.Block] {
		m.Level = notify.LevelWarning
	}
	if m.Finished.IsZero() {
		m.Started, m.Finished = r.ws.Now(), r.ws.Now()
	}
	switch m.Level {
	case notify.LevelError:
		m.Event = kind + ".failed"
		m.Summary = fmt.Sprintf("%s failed: %s", m.Block, orNone(m.Error))
	case notify.LevelWarning:
		m.Event = kind + ".partial"
		m.Summary = fmt.Sprintf("%s %s snapshot %s with entries missing (see the run's warnings)", m.Block, verb, m.Snapshot)
	default:
		m.Event = kind + ".succeeded"
		m.Summary = fmt.Sprintf("%s %s snapshot %s in %s", m.Block, verb, m.Snapshot, m.Finished.Sub(m.Started).Round(time.Second))
	}
}

func orNone(s string) string {
	if s == "" {
		return "a node did not run"
	}
	return s
}
