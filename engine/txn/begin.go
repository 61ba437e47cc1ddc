package txn

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// BeginOptions says what to begin.
type BeginOptions struct {
	Deployment string
	Timeout    time.Duration
	Plan       PlanRef
	Target     Target
	// Arm starts the watchdog of t and returns once it holds its lock
	// (its pid, for the record and the log only).
	Arm func(ctx context.Context, t *Tx) (pid int, err error)
	// Backup, when set, takes the database snapshot of transaction.backup
	// and returns its id (recorded with the snapshot record); Target then
	// holds it until the transaction ends.
	Backup func(ctx context.Context) (snapshotID string, err error)
}

// Begin opens a transaction on a deployment: under the deployment's lock
// it refuses when one is open (ErrRefused naming it), writes the begin
// record, records the current release, a config snapshot and the schema
// version, and arms the watchdog. A begin that fails ends its transaction
// (rollback-done, reason begin-failed) before returning: nothing stays
// armed, nothing was changed.
func (m *Manager) Begin(ctx context.Context, o BeginOptions) (*Tx, error) {
	if o.Timeout <= 0 {
		return nil, fmt.Errorf("begin: the timeout must be positive (got %s)", o.Timeout)
	}
	l, err := m.lock(ctx, o.Deployment)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer l.Unlock()
	open, err := m.OpenTx(o.Deployment)
	if err != nil {
		return nil, err
	}
	if open != nil {
		return nil, fmt.Errorf("begin: %w: transaction %s of deployment %s is %s (deadline %s)", ErrRefused,
			open.ID(), o.Deployment, open.State(), open.Begin().Deadline.Format(time.RFC3339))
	}
	now := m.now()
	plan := o.Plan
	t, err := m.Journal.create(now, Record{
		Deployment: o.Deployment, Deadline: now.Add(o.Timeout), BootID: m.BootID,
		Host: m.Host, PID: m.PID, Version: m.Version, Plan: &plan,
	})
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	if err := m.arm(ctx, t, o); err != nil {
		return nil, errors.Join(fmt.Errorf("begin: %w", err), m.abandon(t, err))
	}
	return t, nil
}

// arm records the state to return to, then starts the watchdog.
func (m *Manager) arm(ctx context.Context, t *Tx, o BeginOptions) error {
	snap, err := capture(ctx, o.Target)
	if err != nil {
		return err
	}
	if o.Backup != nil {
		if snap.Database, err = o.Backup(ctx); err != nil {
			return fmt.Errorf("database snapshot: %w", err)
		}
		if err := o.Target.HoldDatabase(ctx, snap.Database, t.ID()); err != nil {
			return fmt.Errorf("database snapshot %s: %w", snap.Database, err)
		}
	}
	err = m.recordAndArm(ctx, t, o, snap)
	if err != nil && snap.Database != "" {
		m.release(ctx, o.Target, t.ID(), snap.Database)
	}
	return err
}

// recordAndArm writes the snapshot record, then starts the watchdog.
func (m *Manager) recordAndArm(ctx context.Context, t *Tx, o BeginOptions, snap Record) error {
	if err := t.add(m.now(), snap); err != nil {
		return err
	}
	pid, err := o.Arm(ctx, t)
	if err != nil {
		return fmt.Errorf("start the watchdog: %w", err)
	}
	return t.add(m.now(), Record{Kind: KindArmed, Watchdog: "process", WatchdogPID: pid})
}

// release lets the database snapshot of transaction txID go (the
// transaction ended). A failure is logged, not returned: the transaction
// is over all the same, and the hold only keeps a snapshot longer.
func (m *Manager) release(ctx context.Context, tg Target, txID, id string) {
	if tg == nil || id == "" {
		return
	}
	if err := tg.ReleaseDatabase(ctx, id, txID); err != nil {
		m.log("transaction %s: database snapshot %s stays held (docs/deployments.md, \"Holds\"): %v", txID, id, err)
	}
}

// capture reads what a rollback returns to.
func capture(ctx context.Context, tg Target) (Record, error) {
	rel, err := tg.Current(ctx)
	if err != nil {
		return Record{}, fmt.Errorf("current release: %w", err)
	}
	schema, err := tg.SchemaVersion(ctx)
	if err != nil {
		return Record{}, fmt.Errorf("schema version: %w", err)
	}
	cfg, err := tg.SnapshotConfig(ctx)
	if err != nil {
		return Record{}, fmt.Errorf("config snapshot: %w", err)
	}
	return Record{Kind: KindSnapshot, Release: rel, Schema: schema, ConfigSnapshot: cfg}, nil
}

// abandon ends a transaction whose begin failed: nothing changed, so
// nothing is rolled back; a watchdog already started sees the terminal
// record and exits.
func (m *Manager) abandon(t *Tx, cause error) error {
	err := t.add(m.now(), Record{Kind: KindRollbackDone, Reason: ReasonBeginFailed, Message: cause.Error()})
	if err != nil {
		return fmt.Errorf("abandon %s: %w", t.ID(), err)
	}
	return m.Journal.retire(t)
}
