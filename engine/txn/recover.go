package txn

import (
	"context"
	"errors"
	"fmt"
)

// Outcome is what recovery did with one transaction.
type Outcome struct {
	TxID       string `json:"tx"`
	Deployment string `json:"deployment"`
	// Why recovery acted: "the deadline passed", "the watchdog is gone", …
	Why    string `json:"why"`
	Reason string `json:"reason"` // the rollback's reason
	Err    error  `json:"-"`
	Error  string `json:"error,omitempty"`
}

// Recover rolls back at once every transaction that has no terminal record
// and whose deadline passed, whose watchdog is gone (its lock is free) or
// whose boot id is not this boot's; and finishes a rollback cut by a
// crash. A transaction another velin is working on (its deployment's lock
// is held) is left to it; one whose rollback failed is left to
// `velin rollback rollback`. Ended transactions still in place (a crash
// before the move) are moved to done/.
func (m *Manager) Recover(ctx context.Context) ([]Outcome, error) {
	txs, err := m.Journal.Open()
	if err != nil {
		return nil, err
	}
	var out []Outcome
	for _, t := range txs {
		o, acted, err := m.recoverOne(ctx, t)
		if err != nil {
			return out, err
		}
		if acted {
			out = append(out, o)
		}
	}
	return out, nil
}

func (m *Manager) recoverOne(ctx context.Context, t *Tx) (Outcome, bool, error) {
	if t.Ended() {
		return Outcome{}, false, m.Journal.retire(t)
	}
	dep := t.Begin().Deployment
	if err := m.Journal.ensure(); err != nil {
		return Outcome{}, false, err
	}
	l, err := tryLock(m.Journal.lockPath(dep))
	if errors.Is(err, errBusy) {
		return Outcome{}, false, nil
	}
	if err != nil {
		return Outcome{}, false, err
	}
	defer l.Unlock()
	if t, err = m.Journal.Get(t.ID()); err != nil || t.Ended() {
		return Outcome{}, false, err
	}
	why, reason := m.needsRollback(t)
	if why == "" {
		return Outcome{}, false, nil
	}
	o := Outcome{TxID: t.ID(), Deployment: dep, Why: why, Reason: reason}
	o.Err = m.rollbackWith(ctx, t, reason)
	if o.Err != nil {
		o.Error = o.Err.Error()
	}
	m.log("transaction %s of deployment %s: %s: %s", t.ID(), dep, why, describe(o.Err))
	return o, true, nil
}

// needsRollback says why t must be rolled back now ("" when it need not)
// and with which reason.
func (m *Manager) needsRollback(t *Tx) (why, reason string) {
	b := t.Begin()
	switch {
	case t.State() == StateRollbackFailed:
		return "", ""
	case t.State() == StateRollingBack:
		return "a rollback was interrupted", t.RollbackReason()
	case !m.now().Before(b.Deadline):
		return "the deadline passed", ReasonDeadline
	case !t.Armed():
		return "its begin was interrupted", ReasonCrashRecovery
	case b.BootID != "" && m.BootID != "" && b.BootID != m.BootID:
		return "the machine rebooted", ReasonCrashRecovery
	case !held(t.watchdogLock()):
		return "the watchdog is gone", ReasonCrashRecovery
	}
	return "", ""
}

// rollbackWith opens t's deployment and rolls it back.
func (m *Manager) rollbackWith(ctx context.Context, t *Tx, reason string) error {
	var tg Target
	if _, ok := t.Snapshot(); ok {
		var err error
		if tg, err = m.Open(ctx, t.Begin()); err != nil {
			return fmt.Errorf("rollback %s: open deployment %s: %w", t.ID(), t.Begin().Deployment, err)
		}
	}
	return m.rollback(ctx, t, tg, reason)
}

func describe(err error) string {
	if err != nil {
		return "rollback failed: " + err.Error()
	}
	return "rolled back"
}
