package deploy

import (
	"context"
	"errors"
	"fmt"
)

// RolledBackError is Switch's error when the new release failed and the
// one before it was put back: exit code 3 in the CLI.
type RolledBackError struct {
	Version  string // the release that failed (now marked bad)
	Previous string // the release returned to ("" on a first deploy)
	Failed   string // what failed: "stop", "start", "health check" and why
	State    string // the service's state now, in words
}

func (e *RolledBackError) Error() string {
	return fmt.Sprintf("deploy %s failed (%s); %s; %s is marked bad", e.Version, e.Failed, e.State, e.Version)
}

// Forward steps of a switch.
const (
	stepStop = iota
	stepMigrate
	stepSwitch
	stepStart
	stepHealth
	stepDone
)

// Switch deploys version: it puts the release on disk when missing, then
// stops the running release, migrates the schema down when going back to
// an older version, switches current, starts and waits for health. When
// stop, start or health fails it returns to the release that ran before
// and returns a *RolledBackError. An unfinished switch found in the
// journal is resumed first. version may be a version or a snapshot id.
func (d *Deployer) Switch(ctx context.Context, version string) error {
	if err := d.ensureDirs(); err != nil {
		return err
	}
	unlock, err := d.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := d.recoverLocked(ctx); err != nil {
		return err
	}
	j, err := d.prepare(ctx, version)
	if err != nil || j == nil {
		return err
	}
	if err := d.recordOrigin(); err != nil {
		// Not fatal: the next command that loads the plan still recovers it.
		d.logf("warning: %v: a boot-time `velin rollback recover` would not find this to-version if it were interrupted", err)
	}
	return d.resume(ctx, j)
}

// prepare checks everything before anything changes and returns the
// journal of the switch (nil when version is already current and healthy).
func (d *Deployer) prepare(ctx context.Context, version string) (*journal, error) {
	v, err := d.Find(ctx, version)
	if err != nil {
		return nil, err
	}
	if v.Kind == KindConfig {
		return nil, fmt.Errorf("to-version %s: a config snapshot holds no release", version)
	}
	cur, err := d.Current(ctx)
	if err != nil {
		return nil, err
	}
	if cur.Version == version {
		d.logf("%s is already current", version)
		return nil, nil
	}
	if err := d.materialize(ctx, v); err != nil {
		return nil, err
	}
	j := &journal{From: cur.Version, To: version, Started: d.opts.Clock().UTC()}
	if v.Kind == KindSnapshot && len(d.cfg.Config) > 0 {
		j.Config = v.Version
	}
	if d.cfg.Migrate != nil && cur.Version != "" {
		if j.Schema, err = d.SchemaVersion(ctx); err != nil {
			return nil, fmt.Errorf("to-version %s: %w", version, err)
		}
	}
	j.MigrateTo, err = d.migrationTarget(ctx, cur.Version, v, j.Schema)
	return j, err
}

// migrationTarget is the schema version to migrate down to: the one
// recorded with the target, when the target is older than the running
// release and the schema differs.
func (d *Deployer) migrationTarget(ctx context.Context, from string, to Version, have string) (string, error) {
	if d.cfg.Migrate == nil || from == "" {
		return "", nil
	}
	fv, err := d.Find(ctx, from)
	if errors.Is(err, ErrUnknownVersion) || (err == nil && !to.Time.Before(fv.Time)) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	want, err := d.schemaFor(ctx, to.Version)
	if err != nil || want == "" {
		return "", err
	}
	if have == want {
		return "", nil
	}
	return want, nil
}

// resume runs the journal's remaining steps, forward or back.
func (d *Deployer) resume(ctx context.Context, j *journal) error {
	if j.Returning {
		return d.goBack(ctx, j)
	}
	for ; j.Step < stepDone; j.Step++ {
		if err := d.writeJournal(j); err != nil {
			return err
		}
		if err := d.forward(ctx, j); err != nil {
			if j.Step == stepMigrate || j.Step == stepSwitch {
				return fmt.Errorf("to-version %s: %w (current still points at %s; run the command again)", j.To, err, j.From)
			}
			j.Returning, j.Failure, j.Step = true, err.Error(), 0
			return d.goBack(ctx, j)
		}
	}
	return d.finish(ctx, j)
}

// forward runs one forward step.
func (d *Deployer) forward(ctx context.Context, j *journal) error {
	switch j.Step {
	case stepStop:
		if j.From == "" || len(d.cfg.Stop) == 0 {
			return nil
		}
		d.logf("stopping %s", j.From)
		return d.run(ctx, "stop", d.cfg.Stop, nil)
	case stepMigrate:
		return d.MigrateDown(ctx, j.MigrateTo)
	case stepSwitch:
		d.logf("switching current to %s", j.To)
		if err := d.switchLink(j.To); err != nil || j.Config == "" {
			return err
		}
		return d.restoreConfigOf(ctx, j.Config)
	case stepStart:
		return d.start(ctx, j.To)
	default:
		d.logf("waiting for %s to be healthy", j.To)
		return d.Health(ctx)
	}
}

func (d *Deployer) start(ctx context.Context, version string) error {
	if len(d.cfg.Start) == 0 {
		return nil
	}
	d.logf("starting %s", version)
	return d.run(ctx, "start", d.cfg.Start, nil)
}

// finish records a healthy switch: previous, the schema it runs with, no
// bad marker; then applies keep and ends the journal.
func (d *Deployer) finish(ctx context.Context, j *journal) error {
	s, err := d.loadState()
	if err != nil {
		return err
	}
	s.Previous = j.From
	delete(s.Bad, j.To)
	if d.cfg.Migrate != nil {
		if sv, err := d.SchemaVersion(ctx); err == nil {
			s.Schemas[j.To] = sv
		}
	}
	if err := d.saveState(s); err != nil {
		return err
	}
	if err := d.removeJournal(); err != nil {
		return err
	}
	d.logf("%s is current and healthy", j.To)
	return d.prune(s, j.To)
}
