package deploy

import (
	"context"
	"fmt"
)

// Return steps, after a failed stop, start or health check.
const (
	backStop = iota
	backMigrate
	backSwitch
	backStart
	backHealth
	backDone
)

// goBack returns to the release that ran before j.To: stops the failed
// one, switches current back, starts the earlier one and checks it, marks
// j.To bad and ends the journal. Each step is recorded first, so a crash
// resumes the return.
func (d *Deployer) goBack(ctx context.Context, j *journal) error {
	ctx = context.WithoutCancel(ctx) // a return is finished even when the command is interrupted
	var state string
	for ; j.Step < backDone; j.Step++ {
		if err := d.writeJournal(j); err != nil {
			return err
		}
		if s := d.backStep(ctx, j); s != "" {
			state = s
			break
		}
	}
	if state == "" {
		state = fmt.Sprintf("returned to %s, which is running and healthy", j.From)
		if j.From == "" {
			state = "no release ran before: " + j.To + " is stopped"
		}
	}
	if err := d.markBad(j.To, j.Failure); err != nil {
		return err
	}
	if err := d.removeJournal(); err != nil {
		return err
	}
	return &RolledBackError{Version: j.To, Previous: j.From, Failed: j.Failure, State: state}
}

// backStep runs one return step; a non-empty result ends the return early
// and says the state the service is left in.
func (d *Deployer) backStep(ctx context.Context, j *journal) string {
	switch j.Step {
	case backStop:
		if len(d.cfg.Stop) > 0 {
			d.logf("stopping %s", j.To)
			if err := d.run(ctx, "stop", d.cfg.Stop, nil); err != nil {
				d.logf("stopping %s: %v (going on)", j.To, err)
			}
		}
	case backMigrate:
		if err := d.migrateBack(ctx, j); err != nil {
			return fmt.Sprintf("the schema could not be migrated back to %s (%v): %s is current but stopped", j.Schema, err, j.To)
		}
	case backSwitch:
		if j.From == "" {
			return "no release ran before: " + j.To + " is current but stopped"
		}
		d.logf("switching current back to %s", j.From)
		if err := d.switchLink(j.From); err != nil {
			return fmt.Sprintf("current could not be switched back to %s (%v): nothing runs", j.From, err)
		}
	case backStart:
		if err := d.start(ctx, j.From); err != nil {
			return fmt.Sprintf("current is %s again but it did not start (%v): nothing runs", j.From, err)
		}
	case backHealth:
		d.logf("waiting for %s to be healthy", j.From)
		if err := d.Health(ctx); err != nil {
			return fmt.Sprintf("returned to %s, which started but is not healthy (%v)", j.From, err)
		}
	}
	return ""
}

// migrateBack returns the schema to where it was before the switch, with
// the failed release's migration files (it may have migrated up when it
// started). Nothing to do when the schema did not change.
func (d *Deployer) migrateBack(ctx context.Context, j *journal) error {
	if d.cfg.Migrate == nil || j.Schema == "" {
		return nil
	}
	now, err := d.SchemaVersion(ctx)
	if err != nil || now == j.Schema {
		return err
	}
	return d.MigrateDown(ctx, j.Schema)
}
