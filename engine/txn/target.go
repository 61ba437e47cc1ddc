package txn

import "context"

// Target is the deployment a transaction protects (engine/deploy's
// Deployer behind an adapter; a fake in tests).
//
// Every method may be called again after a crash with the same arguments:
// RestoreConfig, MigrateDown and Switch must be idempotent (restoring the
// same snapshot twice, migrating down to the version already there, and
// switching to the release already current all succeed).
type Target interface {
	// Current is the release now deployed ("" when none).
	Current(ctx context.Context) (string, error)
	// SnapshotConfig stores the deployment's config paths and returns the
	// snapshot's id ("" when the deployment has no config paths).
	SnapshotConfig(ctx context.Context) (string, error)
	// RestoreConfig puts the config paths of snapshot id back.
	RestoreConfig(ctx context.Context, id string) error
	// SchemaVersion is the schema version ("" when there is no migrate block).
	SchemaVersion(ctx context.Context) (string, error)
	// MigrateDown migrates the schema down to version, with the migration
	// files of the release now deployed.
	MigrateDown(ctx context.Context, version string) error
	// Switch stops the service, makes release current, starts it and waits
	// for its health check.
	Switch(ctx context.Context, release string) error
	// Health runs the health check once (with its own timeout).
	Health(ctx context.Context) error
}

// Step is one keyed action of a rollback. Key is its re-run key: a step
// whose key a rollback-step record names is not run again.
type Step struct {
	Key         string `json:"key"`
	Description string `json:"description"`
	run         func(ctx context.Context, tg Target) error
}

// Plan lists what a rollback of t would do, in order.
func Plan(t *Tx) []Step {
	snap, ok := t.Snapshot()
	if !ok {
		return nil
	}
	var steps []Step
	if snap.ConfigSnapshot != "" {
		steps = append(steps, Step{
			Key: "config:" + snap.ConfigSnapshot, Description: "restore the config of snapshot " + snap.ConfigSnapshot,
			run: func(ctx context.Context, tg Target) error { return tg.RestoreConfig(ctx, snap.ConfigSnapshot) },
		})
	}
	if snap.Release != "" {
		steps = append(steps, Step{
			Key: "switch:" + snap.Release, Description: "switch back to release " + snap.Release + ", restart and check health",
			run: func(ctx context.Context, tg Target) error { return tg.Switch(ctx, snap.Release) },
		})
	}
	if snap.Schema != "" {
		// Switch migrates down with the newer release's files before its
		// code goes; this makes sure the schema is where begin found it.
		steps = append(steps, Step{
			Key: "migrate-down:" + snap.Schema, Description: "make sure the schema is at " + snap.Schema + " (migrate down if not)",
			run: func(ctx context.Context, tg Target) error { return migrateDown(ctx, tg, snap.Schema) },
		})
	}
	return steps
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
