package txn

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// WatchdogOptions tunes Watch.
type WatchdogOptions struct {
	// Ready is called once the watchdog holds its lock: from then on
	// recovery knows it is alive.
	Ready func()
	// Poll is how often the watchdog looks at the journal and the clock
	// (default 250 ms: an auto-rollback starts within that of the deadline).
	Poll time.Duration
	// Notify is told of an automatic rollback (nil: only logged).
	Notify func(ctx context.Context, o Outcome, t *Tx)
}

// ErrWatchdogRunning means another watchdog holds transaction's lock.
var ErrWatchdogRunning = errors.New("a watchdog is already running")

// Watch is the watchdog of transaction id: it holds the transaction's
// watchdog lock while it lives, exits when the transaction ends, and at
// the deadline rolls it back (reason deadline) under the deployment's
// lock. It returns the outcome when it rolled back (nil when the
// transaction ended otherwise).
func (m *Manager) Watch(ctx context.Context, id string, o WatchdogOptions) (*Outcome, error) {
	t, err := m.Journal.Get(id)
	if err != nil {
		return nil, err
	}
	// A moment's wait: status may hold the free lock for an instant.
	lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	l, err := waitLock(lctx, t.watchdogLock())
	cancel()
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("watchdog %s: %w", id, ErrWatchdogRunning)
	}
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	if o.Ready != nil {
		o.Ready()
	}
	poll := o.Poll
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	for {
		if t, err = m.Journal.Get(id); err != nil {
			return nil, err
		}
		if t.Ended() || t.State() == StateRollbackFailed {
			return nil, nil
		}
		left := t.Begin().Deadline.Sub(m.now())
		if left <= 0 && t.State() == StateOpen {
			return m.deadline(ctx, t, o)
		}
		wait := poll
		if left > 0 && left < poll {
			wait = left
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// deadline rolls t back because its deadline passed.
func (m *Manager) deadline(ctx context.Context, t *Tx, o WatchdogOptions) (*Outcome, error) {
	dep := t.Begin().Deployment
	l, err := m.lock(ctx, dep)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	if t, err = m.Journal.Get(t.ID()); err != nil || t.State() != StateOpen {
		return nil, err // committed, or rolled back by someone else meanwhile
	}
	out := &Outcome{TxID: t.ID(), Deployment: dep, Why: "the deadline passed", Reason: ReasonDeadline}
	out.Err = m.rollbackWith(ctx, t, ReasonDeadline)
	if out.Err != nil {
		out.Error = out.Err.Error()
	}
	m.log("transaction %s of deployment %s: the deadline %s passed without a commit: %s",
		t.ID(), dep, t.Begin().Deadline.Format(time.RFC3339), describe(out.Err))
	if o.Notify != nil {
		o.Notify(ctx, *out, t)
	}
	return out, out.Err
}
