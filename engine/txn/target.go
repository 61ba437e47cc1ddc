package txn

import "context"

// Target is the deployment a transaction protects (engine/deploy's
// Deployer behind an adapter; a fake in tests).
//
// Every method may be called again after a crash with the same arguments:
// RestoreConfig, MigrateDown, Switch, Restart, RestoreDatabase and the
// holds must be idempotent (restoring the same snapshot twice, migrating
// down to the version already there, switching to the release already
// current, putting or releasing a hold twice all succeed).
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
	// Restart stops and starts the release now current and waits for its
	// health check (a rollback whose release did not change).
	Restart(ctx context.Context) error
	// RestoreDatabase stops the service and restores database snapshot id
	// (transaction.backup) in place, replacing what is there.
	RestoreDatabase(ctx context.Context, id string) error
	// HoldDatabase keeps database snapshot id from retention, forget and
	// prune for transaction txID; ReleaseDatabase lets it go (a hold
	// already gone is no error).
	HoldDatabase(ctx context.Context, id, txID string) error
	ReleaseDatabase(ctx context.Context, id, txID string) error
}
