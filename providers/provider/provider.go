package provider

import (
	"context"
	"io"

	"github.com/velinhq/velin/engine/storage"
)

// Facts are what a source reports about itself without side effects, for
// `velin plan`, and what a backup records in the snapshot manifest.
type Facts struct {
	Type          string            `json:"type"`                     // provider type: "files", "sqlite"
	Identity      string            `json:"identity"`                 // what is backed up: an absolute path, a database name (never a secret)
	ServerVersion string            `json:"server_version,omitempty"` // e.g. "sqlite 3.46.0"; "" for file trees
	Files         int64             `json:"files"`                    // number of entries of kind file
	Bytes         int64             `json:"bytes"`                    // total content size
	Rows          int64             `json:"rows"`                     // rows for databases; 0 otherwise
	Tables        int64             `json:"tables"`                   // tables for databases
	Details       map[string]string `json:"details,omitempty"`

	// Skipped lists what a file tree leaves out on purpose (named pipes,
	// sockets, devices, a velin repository inside the tree), Op "skip".
	Skipped []Problem `json:"skipped,omitempty"`
	// Incomplete lists entries a backup stored as read or left out because
	// they changed or could not be read; Backup also returns them as a
	// *Partial. Inspect lists what its walk already cannot read.
	Incomplete []Problem `json:"incomplete,omitempty"`
	// Links maps a configured path that is a symbolic link (followed) to
	// the link's target, by the path's top-level entry name.
	Links map[string]string `json:"links,omitempty"`
}

// Sink receives a source's entries during a backup. The engine implements it
// on top of the repository. All methods are safe for concurrent use, so a
// source may read several files at once.
type Sink interface {
	// Put stores one entry. For KindFile it reads r to EOF (r is nil for an
	// empty file) and does not close it. Directories may be Put before or
	// after their children; the sink orders the tree itself.
	Put(ctx context.Context, e Entry, r io.Reader) error

	// Parent returns the entry at path in the parent snapshot of this source
	// (incremental backups), or false when there is none.
	Parent(path string) (Entry, bool)

	// Reuse stores e with the content the parent snapshot recorded for the
	// same path, without reading it again. The source calls it only after
	// Parent returned an entry whose size, mtime, inode and ctime equal e's.
	Reuse(ctx context.Context, e Entry) error
}

// Tree is one source's saved entries, read back for restore and verification.
type Tree interface {
	// Walk calls fn for every entry depth-first, siblings sorted by name, so
	// a directory comes before its children. An error from fn stops the walk.
	Walk(ctx context.Context, fn func(Entry) error) error

	// Open returns the content of a KindFile entry yielded by Walk; every
	// chunk is authenticated as it is read, and damage is an error naming
	// the path. Safe to call from several goroutines at once. The caller
	// closes the reader.
	Open(ctx context.Context, e Entry) (io.ReadCloser, error)
}

// BackupOptions say how a source backs up.
type BackupOptions struct {
	// Incremental lets the source skip reading entries that Sink.Parent
	// reports unchanged.
	Incremental bool
}

// RestoreOptions say where and what to restore.
type RestoreOptions struct {
	// To is where to restore. For sources of local files (file trees,
	// SQLite) it is a directory under which the source restores its entries
	// (a file tree's roots by their base names, a database file by its own
	// name), created if missing. For database servers it is a connection:
	// a DSN (postgres, mysql) or an address/URL (redis), which may hold a
	// password: the engine registers it as a secret before the call. Empty
	// means the source's own location (in place).
	To string
	// Database restores only this database of a source that holds several
	// (each its own entry, "<db>.sql"); empty means every one.
	Database string
	// Tables restores only these tables ("schema.table" for PostgreSQL,
	// "db.table" for MySQL): their data is replaced and nothing else is
	// touched. Empty means whole databases.
	Tables []string
	// Flush, when set, overrides the source's own "empty the database
	// before restoring" setting (a restore block's flush). nil keeps the
	// source's setting. Only sources that are Flushable read it.
	Flush *bool
	// Globals asks a database source to create, before its databases,
	// what the snapshot holds of the server's globals that the destination
	// lacks (postgres: the roles and tablespaces of globals.sql; existing
	// ones are never altered). Only sources that are GlobalsRestorer read it.
	Globals bool
	// Include limits a file-tree restore to entries matching these globs
	// (doublestar syntax, relative to the tree root). Empty means all.
	Include []string
	// Buckets limits a restore of buckets (source "s3") to these buckets
	// of the snapshot; a name the snapshot lacks is an error. Empty means
	// all. Other sources never get it.
	Buckets []string
	// ToBucket restores the objects of the one bucket the restore selects
	// into this bucket instead of their own (source "s3"); a selection of
	// several buckets is an error. "" restores each bucket into itself.
	ToBucket string
}

// Change is one thing a restore will do at the destination, shown before
// the user confirms: one per file of a file tree (directories are not
// counted), one per table of a database. Items already identical to the
// snapshot are "unchanged"; a restore does not rewrite them.
type Change struct {
	Action   string `json:"action"`   // "create", "replace", "unchanged", "drop" ("delete" is never planned)
	What     string `json:"what"`     // a path, a table
	Snapshot string `json:"snapshot"` // what the snapshot holds: "12 B, modified 2026-11-20 05:15:00", "3 rows"
	Current  string `json:"current"`  // what exists now, "" when nothing does
	Detail   string `json:"detail"`   // anything else worth saying
	// Part marks a detail of the change before it (a table of the database
	// file above), shown but not counted as an item of its own.
	Part bool `json:"part,omitempty"`
}

// Counts is what a test restore found, compared with the manifest.
type Counts struct {
	Files int64
	Bytes int64
	Rows  int64
	Check string // e.g. "integrity_check: ok"
}

// Source is a `source "<type>" "<name>"` block.
type Source interface {
	// Inspect reports live facts without changing anything.
	Inspect(ctx context.Context) (Facts, error)

	// Backup reads the source and hands every entry to sink. It returns the
	// facts of what it saved (which may differ from Inspect's if the source
	// changed meanwhile). A database source takes a consistent copy.
	Backup(ctx context.Context, sink Sink, opts BackupOptions) (Facts, error)

	// PlanRestore lists what Restore would change at the destination,
	// without changing anything.
	PlanRestore(ctx context.Context, tree Tree, opts RestoreOptions) ([]Change, error)

	// Restore writes tree to the destination. It never leaves a half-written
	// database file in place (write temp, fsync, rename) and never writes
	// outside the destination directory.
	Restore(ctx context.Context, tree Tree, opts RestoreOptions) error

	// TestRestore restores tree into a scratch place (opts.Scratch, an
	// empty temporary directory owned by the caller, or a temporary
	// database named from opts.ID), checks what it can (integrity_check for
	// sqlite, row counts per table for database servers), runs opts.Asserts
	// and returns the counts, which the engine compares with the manifest,
	// and the checks. It always removes the temporary database it created,
	// also when it fails or ctx is cancelled. An error means the test
	// restore could not run to the end; a failed check is a CheckResult
	// with Passed false and no error.
	TestRestore(ctx context.Context, tree Tree, opts TestRestoreOptions) (TestReport, error)
}

// LocalTree is implemented by sources that read a tree of the local file
// system, so that the engine can tell when a repository lies inside it.
type LocalTree interface {
	// Contains says whether the absolute local path lies inside the tree,
	// and which entry path it has there. Anything else (a URL) is false.
	Contains(path string) (string, bool)
}

// RepoOptions are the repository settings a target carries. Passphrase is a
// secret: it must never be printed, logged or stored in plain text.
type RepoOptions struct {
	Passphrase  string
	KeyFile     string // path to a file whose content is the passphrase
	Encryption  string // "aes-256-gcm" (default) or "none" (must be said explicitly)
	Compression int    // zstd level 1..22; 0 means the default; -1 means none
}

// Target is a `target "<type>" "<name>"` block: where a repository lives.
type Target interface {
	// Open returns the storage. It may create the location (mkdir) but
	// must not create a repository; the engine does that.
	Open(ctx context.Context) (storage.Storage, error)
	// Repo returns the repository settings.
	Repo() RepoOptions
	// Location describes the target for messages, without secrets.
	Location() string
}

// StepEnv is what a step gets to run.
type StepEnv struct {
	Dir string    // the plan file's directory: the default working directory
	Log io.Writer // output goes here; the engine redacts secrets from it
	// Redact masks the run's secrets in text a step quotes in an error (a
	// response body, the last lines of output) before the step cuts it, so
	// a cut never leaves half a secret. nil means nothing to mask.
	Redact func(string) string
}

// Step is a `step "<type>" "<name>"` block: a hook run before, after or
// finally around a backup or restore.
type Step interface {
	// Describe says what the step will do, for the plan (no secrets).
	Describe() string
	// Run performs the step. It must honour ctx (timeouts, Ctrl-C).
	Run(ctx context.Context, env StepEnv) error
}
