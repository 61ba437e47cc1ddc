package deploy

import (
	"context"
	"fmt"
)

// Recover finishes or undoes a switch that a crash interrupted (kill -9,
// power loss): one stopped at its first step (stop) is undone, the earlier
// release started again; one past it (the schema or current had changed)
// is finished, returning to the earlier release if the new one fails its
// health check; an interrupted return is completed. It reports whether
// there was anything to do; the error of a finished-then-returned switch
// is a *RolledBackError. Every deployment command calls it first.
func (d *Deployer) Recover(ctx context.Context) (bool, error) {
	j, err := d.readJournal()
	if err != nil || j == nil {
		return false, err
	}
	unlock, err := d.lock()
	if err != nil {
		return false, err
	}
	defer unlock()
	return d.recoverLocked(ctx)
}

// RecoverIfIdle is Recover for a command that only happens to load the
// plan: it costs one stat of the journal when there is nothing to do, and
// leaves a journal alone while another velin process holds the
// deployment's lock (that process is switching it; it is not interrupted).
func (d *Deployer) RecoverIfIdle(ctx context.Context) (bool, error) {
	j, err := d.readJournal()
	if err != nil || j == nil {
		return false, err
	}
	unlock, ok, err := d.tryLock()
	if !ok {
		return false, err
	}
	defer unlock()
	return d.recoverLocked(ctx)
}

func (d *Deployer) recoverLocked(ctx context.Context) (bool, error) {
	j, err := d.readJournal()
	if err != nil || j == nil {
		return false, err
	}
	if !j.Returning && j.Step <= stepStop {
		d.logf("an interrupted to-version %s was found: undoing it", j.To)
		if j.From != "" {
			if err := d.start(ctx, j.From); err != nil {
				return true, fmt.Errorf("undo to-version %s: %w (%s is current but may not run)", j.To, err, j.From)
			}
		}
		return true, d.removeJournal()
	}
	d.logf("an interrupted to-version %s was found: finishing it", j.To)
	return true, d.resume(ctx, j)
}
