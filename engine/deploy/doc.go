// Package deploy is velin's deployments: versions and snapshots of a
// service's artifacts stored in a target's repository, releases on disk,
// and the switch between them with a health gate and an automatic return.
//
// # Model
//
// A version is the deployment's artifacts stored as one repository
// snapshot (kind "version", identified by a version string such as
// "v1.2.0"); a snapshot (kind "snapshot") adds the config paths, under a
// generated id; a config snapshot (kind "config", SnapshotConfig) holds the
// config paths only. They are ordinary snapshots of the target's
// repository, deduplicated with everything else in it, written through the
// repository's one write path by the files source. Their manifests name
// the backup "deployment.<name>" (a name no backup block can have, as
// labels cannot hold a dot) and the strategy is the kind, so backup
// listings and backup retention leave them alone. The label, version,
// kind, a SHA-256 of the artifacts' content, the git commit and the
// migration files shipped are the source's details in the manifest.
//
// A release is a version materialized under root/releases/<version>/: it
// is restored into a temporary directory, made durable and only then
// renamed into place, so a release directory is always complete. root/
// current is a relative symlink to releases/<version>, switched by renaming
// a new symlink over it. Markers (bad, pinned, previous) and the journal
// live in the state directory (root/.velin, or $VELIN_STATE_DIR/<name>),
// mode 0700, files 0600, written temp + fsync + rename + fsync dir.
//
// # Switching (to-version)
//
// Switch runs the steps stop, migrate down, switch, start and health,
// recording in the journal before each step which one comes next. A
// failure of stop, start or health (a command that fails or outlives the
// health timeout, a check that never passes) returns to the release that
// ran before: the failed one is stopped, current is switched back, the
// earlier one started and checked, the failed version marked bad, and
// Switch returns a *RolledBackError (the CLI's exit code 3). After a crash
// (kill -9 at any point) Recover (RecoverIfIdle, which the CLI runs for
// every command that loads the plan) resumes the journal: an operation that had not yet changed the
// schema or current is undone (the earlier release is started again), one
// that had is finished (and returned from when its health fails); it
// returns a Recovery saying which. Before its journal, a switch records
// the deployment in the host's Origins index (Options.Origins, with the
// caller's plan reference), so that recovery without a plan at hand (a
// boot-time `velin rollback recover`) finds it.
//
// # Contract for engine/txn
//
// Open returns a Deployer for one deployment block. Its methods are safe to
// call one after another from one process; Switch, Recover and RestoreConfig
// take the deployment's lock (a flock on the state directory), so two
// velin processes never switch one deployment at once. Current, SchemaVersion
// and Health only read. Every method that runs a command bounds it by the
// health timeout and masks nothing itself: Options.Stdout/Stderr should be
// redacting writers.
package deploy
