package deploy

import (
	"context"
	"errors"
	"fmt"
)

// Recovery is what Recover did with an interrupted switch.
type Recovery struct {
	Deployment string `json:"deployment"`
	From       string `json:"from"` // the release that ran before the switch ("" for a first deploy)
	To         string `json:"to"`   // the release the switch was deploying
	// Action is RecoveryUndone, RecoveryFinished or RecoveryReturned.
	Action  string `json:"action"`
	Current string `json:"current"` // the release current points at now
}

// What Recover did.
const (
	// RecoveryUndone: cut at its first step (stop), the switch was
	// undone; From was started again.
	RecoveryUndone = "undone"
	// RecoveryFinished: the switch was finished; To is current and healthy.
	RecoveryFinished = "finished"
	// RecoveryReturned: the switch (or the return of a failed one) ended
	// back on From, To marked bad; Recover's error is a *RolledBackError.
	RecoveryReturned = "returned"
)

// RolledBack reports whether the release that ran before the switch is
// the one put back (undone or returned).
func (r *Recovery) RolledBack() bool {
	return r != nil && r.Action != RecoveryFinished
}

// Recover finishes or undoes a switch that a crash interrupted (kill -9,
// power loss): one stopped at its first step (stop) is undone, the earlier
// release started again; one past it (the schema or current had changed)
// is finished, returning to the earlier release if the new one fails its
// health check; an interrupted return is completed. It returns what it
// did (nil when there was nothing to do); the error of a
// finished-then-returned switch is a *RolledBackError. Every deployment
// command calls it first.
func (d *Deployer) Recover(ctx context.Context) (*Recovery, error) {
	j, err := d.readJournal()
	if err != nil || j == nil {
		return nil, err
	}
	unlock, err := d.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return d.recoverLocked(ctx)
}

// RecoverIfIdle is Recover for a command that only happens to load the
// plan: it costs one stat of the journal when there is nothing to do, and
// leaves a journal alone while another velin process holds the
// deployment's lock (that process is switching it; it is not interrupted).
func (d *Deployer) RecoverIfIdle(ctx context.Context) (*Recovery, error) {
	j, err := d.readJournal()
	if err != nil || j == nil {
		return nil, err
	}
	unlock, ok, err := d.tryLock()
	if !ok {
		return nil, err
	}
	defer unlock()
	return d.recoverLocked(ctx)
}

func (d *Deployer) recoverLocked(ctx context.Context) (*Recovery, error) {
	j, err := d.readJournal()
	if err != nil || j == nil {
		return nil, err
	}
	r := &Recovery{Deployment: d.cfg.Name, From: j.From, To: j.To}
	if !j.Returning && j.Step <= stepStop {
		d.logf("an interrupted to-version %s was found: undoing it", j.To)
		r.Action = RecoveryUndone
		if j.From != "" {
			if err := d.start(ctx, j.From); err != nil {
				return d.recovered(ctx, r, fmt.Errorf("undo to-version %s: %w (%s is current but may not run)", j.To, err, j.From))
			}
		}
		return d.recovered(ctx, r, d.removeJournal())
	}
	d.logf("an interrupted to-version %s was found: finishing it", j.To)
	r.Action = RecoveryFinished
	if j.Returning {
		r.Action = RecoveryReturned
	}
	err = d.resume(ctx, j)
	var rb *RolledBackError
	if errors.As(err, &rb) {
		r.Action = RecoveryReturned
	}
	return d.recovered(ctx, r, err)
}

// recovered completes r with the release now current.
func (d *Deployer) recovered(ctx context.Context, r *Recovery, err error) (*Recovery, error) {
	if cur, cerr := d.Current(ctx); cerr == nil {
		r.Current = cur.Version
	}
	return r, err
}
