package txn

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrRefused is a refused request: a transaction is already open, a
// commit came too late or after a rollback (exit 4).
var ErrRefused = errors.New("refused")

// ErrNoTransaction means the deployment has no open transaction.
var ErrNoTransaction = errors.New("no open transaction")

// Manager runs the transactions of one host's journal.
type Manager struct {
	Journal Journal
	Now     func() time.Time // injected clock
	BootID  string           // this boot's id ("" when unknown)
	Host    string
	PID     int
	Version string // velin's version, recorded at begin
	// LockWait bounds the wait for another velin working on the same
	// deployment (default 30 s).
	LockWait time.Duration
	// Open returns the deployment a transaction protects, from its begin
	// record (the watchdog and recovery load the plan again).
	Open func(ctx context.Context, begin Record) (Target, error)
	// Log receives one line per event worth telling (auto-rollbacks).
	Log func(msg string)
}

func (m *Manager) now() time.Time { return m.Now().UTC() }

func (m *Manager) log(format string, args ...any) {
	if m.Log != nil {
		m.Log(fmt.Sprintf(format, args...))
	}
}

// lock takes the deployment's lock, waiting at most LockWait.
func (m *Manager) lock(ctx context.Context, deployment string) (*fileLock, error) {
	if err := m.Journal.ensure(); err != nil {
		return nil, err
	}
	wait := m.LockWait
	if wait == 0 {
		wait = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	return waitLock(ctx, m.Journal.lockPath(deployment))
}

// OpenTx is the transaction of deployment not yet ended (nil when none).
// A transaction whose rollback failed counts as not ended.
func (m *Manager) OpenTx(deployment string) (*Tx, error) {
	txs, err := m.Journal.Open()
	if err != nil {
		return nil, err
	}
	for _, t := range txs {
		if t.Begin().Deployment == deployment && !t.Ended() {
			return t, nil
		}
	}
	return nil, nil
}

// Latest is deployment's open transaction, or else its most recent ended
// one (nil when it never had one).
func (m *Manager) Latest(deployment string) (*Tx, error) {
	if t, err := m.OpenTx(deployment); t != nil || err != nil {
		return t, err
	}
	return m.Journal.latestDone(deployment)
}

// Commit runs the health check, then closes deployment's transaction with
// a commit record, unless its deadline passed or a rollback began
// (ErrRefused). A failed health check leaves the transaction open.
func (m *Manager) Commit(ctx context.Context, deployment string, tg Target) (*Tx, error) {
	t, err := m.OpenTx(deployment)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, m.noOpen(deployment, true)
	}
	if err := m.refuseLate(t); err != nil {
		return t, err
	}
	if err := tg.Health(ctx); err != nil {
		return t, fmt.Errorf("commit %s: health check: %w (the transaction stays open)", t.ID(), err)
	}
	l, err := m.lock(ctx, deployment)
	if err != nil {
		return t, err
	}
	defer l.Unlock()
	if t, err = m.Journal.Get(t.ID()); err != nil {
		return nil, err
	}
	if err := m.refuseLate(t); err != nil {
		return t, err
	}
	if snap, ok := t.Snapshot(); ok {
		m.release(ctx, tg, t.ID(), snap.Database)
	}
	if err := t.add(m.now(), Record{Kind: KindCommit}); err != nil {
		return t, err
	}
	return t, m.Journal.retire(t)
}

// refuseLate is ErrRefused when t can no longer be committed.
func (m *Manager) refuseLate(t *Tx) error {
	switch st := t.State(); {
	case st != StateOpen:
		return fmt.Errorf("commit %s: %w: the transaction is %s (%s)", t.ID(), ErrRefused, st, t.RollbackReason())
	case m.now().After(t.Begin().Deadline):
		return fmt.Errorf("commit %s: %w: its deadline passed at %s; it is being rolled back",
			t.ID(), ErrRefused, t.Begin().Deadline.Format(time.RFC3339))
	}
	return nil
}

// noOpen says that deployment has no open transaction, and how its last
// one ended; for a commit (late true), a last one rolled back makes it
// ErrRefused: the commit came too late.
func (m *Manager) noOpen(deployment string, late bool) error {
	last, _ := m.Journal.latestDone(deployment)
	if last == nil {
		return fmt.Errorf("deployment %s: %w", deployment, ErrNoTransaction)
	}
	how := last.State()
	if r := last.RollbackReason(); r != "" {
		how += " (" + r + ")"
	}
	if late && last.State() == StateRolledBack {
		return fmt.Errorf("commit %s: %w: the transaction was rolled back (%s) at %s", last.ID(), ErrRefused,
			last.RollbackReason(), last.Last().Time.Format(time.RFC3339))
	}
	return fmt.Errorf("deployment %s: %w (the last one, %s, was %s)", deployment, ErrNoTransaction, last.ID(), how)
}
