// Package local stores a velin repository in a directory on a local file
// system.
//
// Every object is a file under the directory at its name ("data/ab/ab12…" is
// DIR/data/ab/ab12…). A write goes to a temporary file named ".tmp-…" in the
// object's directory, is fsynced, then renamed over the final name (or hard
// linked, for IfAbsent, so an existing object is never replaced), and the
// directory is fsynced: a reader, and the disk after a crash, sees either no
// object or the whole content. Temporary files left by a crashed writer are
// never listed; CleanTemp removes old ones.
//
// Deletes are not followed by a directory fsync: after a power loss a
// deleted object may come back, which the repository tolerates (a delete is
// always safe to repeat).
package local
