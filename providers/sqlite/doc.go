// Package sqlite is the `source "sqlite"` provider: one SQLite database
// file, backed up consistently while other processes write to it.
//
// A backup runs VACUUM INTO a private temporary file (a transactionally
// consistent copy, whatever the journal mode), streams that copy into the
// sink as one entry named by the database's base name, and deletes it.
// Facts (tables, rows, SQLite version) are read from the copy, so they
// describe exactly what was saved.
//
// A restore writes the saved copy to a temporary file next to the
// destination, fsyncs it, requires PRAGMA integrity_check to say "ok", and
// renames it over the destination. Stale -wal, -shm and -journal files of
// the old database are moved aside before the rename and deleted after it,
// so they can never be replayed into the restored database. The
// application using the database should be stopped meanwhile (a "before"
// step): connections still open keep using the old, replaced file.
package sqlite
