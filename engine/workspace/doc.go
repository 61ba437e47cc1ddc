// Package workspace is one loaded configuration together with the
// repositories of its targets: what every CLI command starts from.
//
// It owns the Redactor of the run (every secret the configuration declared)
// and opens each target's repository at most once. Opening for a plan never
// creates anything; opening for a backup creates the repository on first use.
package workspace
