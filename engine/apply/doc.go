// Package apply runs a graph: it maps each node to provider and repository
// calls (steps, source backups, snapshot flush, verification, commit,
// retention, restores) and walks the graph with bounded parallelism.
//
// Failures skip what depends on them; finally steps always run; a snapshot
// becomes visible only at its commit node, so a failed or interrupted run
// leaves no partial snapshot. Locks taken during the run are released
// whatever happens.
package apply
