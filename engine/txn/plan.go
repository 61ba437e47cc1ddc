package txn

import (
	"context"
	"errors"
	"fmt"
)

// Step is one keyed action of a rollback. Key is its re-run key: a step
// whose key a rollback-step record names is not run again.
type Step struct {
	Key         string `json:"key"`
	Description string `json:"description"`
	run         func(ctx context.Context, tg Target) error
}

// Step keys' prefixes (the key is prefix + the recorded id or version).
const (
	StepConfig      = "config:"
	StepDatabase    = "database:"
	StepSwitch      = "switch:"
	StepMigrateDown = "migrate-down:"
)

// Plan lists what a rollback of t would do, in order: restore the config
// snapshot; with a database snapshot, put the database back (migrate
// down, or restore the snapshot when the schema cannot go down); return
// to the release (or restart it when it is still current); make sure the
// schema is where begin found it.
func Plan(t *Tx) []Step {
	snap, ok := t.Snapshot()
	if !ok {
		return nil
	}
	var steps []Step
	if snap.ConfigSnapshot != "" {
		steps = append(steps, Step{
			Key: StepConfig + snap.ConfigSnapshot, Description: "restore the config of snapshot " + snap.ConfigSnapshot,
			run: func(ctx context.Context, tg Target) error { return tg.RestoreConfig(ctx, snap.ConfigSnapshot) },
		})
	}
	if snap.Database != "" {
		steps = append(steps, databaseStep(snap))
	}
	if snap.Release != "" {
		steps = append(steps, Step{
			Key:         StepSwitch + snap.Release,
			Description: "switch back to release " + snap.Release + " (restart it if it is still current) and check health",
			run:         func(ctx context.Context, tg Target) error { return switchOrRestart(ctx, tg, snap.Release) },
		})
	}
	if snap.Schema != "" {
		// Switch migrates down with the newer release's files before its
		// code goes; this makes sure the schema is where begin found it.
		steps = append(steps, Step{
			Key: StepMigrateDown + snap.Schema, Description: "make sure the schema is at " + snap.Schema + " (migrate down if not)",
			run: func(ctx context.Context, tg Target) error { return migrateDown(ctx, tg, snap.Schema) },
		})
	}
	return steps
}

// databaseStep puts the database back as at begin: without a schema
// version (no migrate block) by restoring the database snapshot; with one,
// by migrating down with the newer release's files, and restoring the
// snapshot when that fails.
func databaseStep(snap Record) Step {
	s := Step{Key: StepDatabase + snap.Database}
	if snap.Schema == "" {
		s.Description = "restore database snapshot " + snap.Database + " in place (no migrate block: the schema cannot go down)"
		s.run = func(ctx context.Context, tg Target) error { return tg.RestoreDatabase(ctx, snap.Database) }
		return s
	}
	s.Description = "migrate the schema down to " + snap.Schema + "; if that fails, restore database snapshot " + snap.Database + " in place"
	s.run = func(ctx context.Context, tg Target) error {
		merr := migrateDown(ctx, tg, snap.Schema)
		if merr == nil {
			return nil
		}
		if err := tg.RestoreDatabase(ctx, snap.Database); err != nil {
			return errors.Join(fmt.Errorf("migrate down: %w", merr), fmt.Errorf("restore database snapshot %s: %w", snap.Database, err))
		}
		return nil
	}
	return s
}

// switchOrRestart returns to release, or restarts it when it is current
// (a rollback of config or data only must restart the service too).
func switchOrRestart(ctx context.Context, tg Target, release string) error {
	cur, err := tg.Current(ctx)
	if err != nil {
		return err
	}
	if cur == release {
		return tg.Restart(ctx)
	}
	return tg.Switch(ctx, release)
}

// migrateDown migrates to version unless the schema is there already.
func migrateDown(ctx context.Context, tg Target, version string) error {
	cur, err := tg.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if cur == version {
		return nil
	}
	return tg.MigrateDown(ctx, version)
}
