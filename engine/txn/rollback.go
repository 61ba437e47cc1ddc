package txn

import (
	"context"
	"fmt"
)

// Rollback rolls back deployment's transaction at the user's request
// (reason requested), or resumes one cut by a crash or failed before.
func (m *Manager) Rollback(ctx context.Context, deployment string, tg Target) (*Tx, error) {
	l, err := m.lock(ctx, deployment)
	if err != nil {
		return nil, fmt.Errorf("rollback: %w", err)
	}
	defer l.Unlock()
	t, err := m.OpenTx(deployment)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, m.noOpen(deployment, false)
	}
	return t, m.rollback(ctx, t, tg, ReasonRequested)
}

// rollback returns t's deployment to the state recorded at begin. The
// caller holds the deployment's lock. rollback-start is durable before the
// first action; each action's success is recorded by a rollback-step
// record keyed by the action, so a rollback cut by a crash re-runs only
// the actions not yet recorded. A failing action writes rollback-failed.
func (m *Manager) rollback(ctx context.Context, t *Tx, tg Target, reason string) error {
	if t.Ended() {
		return nil
	}
	if t.State() == StateOpen {
		if err := t.add(m.now(), Record{Kind: KindRollbackStart, Reason: reason}); err != nil {
			return err
		}
	}
	snap, ok := t.Snapshot()
	if !ok {
		return m.finish(t, "nothing was recorded at begin: nothing to put back")
	}
	for _, s := range Plan(t) {
		if t.stepDone(s.Key) {
			continue
		}
		if err := s.run(ctx, tg); err != nil {
			err = fmt.Errorf("rollback %s: %s: %w", t.ID(), s.Description, err)
			if werr := t.add(m.now(), Record{Kind: KindRollbackFailed, Step: s.Key, Message: err.Error()}); werr != nil {
				return fmt.Errorf("%w (and recording it: %v)", err, werr)
			}
			return err
		}
		if err := t.add(m.now(), Record{Kind: KindRollbackStep, Step: s.Key}); err != nil {
			return err
		}
	}
	m.release(ctx, tg, t.ID(), snap.Database)
	return m.finish(t, "")
}

func (m *Manager) finish(t *Tx, msg string) error {
	if err := t.add(m.now(), Record{Kind: KindRollbackDone, Reason: t.RollbackReason(), Message: msg}); err != nil {
		return err
	}
	return m.Journal.retire(t)
}
