// Package files is the `source "files"` provider: trees of files and
// directories on local disks.
//
// Each configured path becomes a top-level entry named by its base name
// (paths ["./site"] gives "site", "site/index.html", …). A backup stores
// modes, times, owners, symlinks (not followed unless follow_symlinks),
// empty directories, hard links once (later paths become KindHardlink) and
// marks sparse files. Incremental backups reuse a file the parent snapshot
// has with the same size, mtime, inode and ctime without reading it.
// Files are read by a small pool of goroutines.
//
// A configured path that is a symlink is followed (Facts.Links notes it);
// one that is missing, or not a file or directory, is an hcl diagnostic
// on the path. The walk opens every directory and file relative to its
// parent's descriptor with O_NOFOLLOW|O_NONBLOCK and checks the opened
// inode and type against its lstat, so an entry swapped for a symlink or
// a named pipe is never followed nor waited on: it is left out and listed
// in Facts.Incomplete, like entries that cannot be read; a file that
// shrinks while read is stored as read and listed too; Backup then
// returns a *provider.Partial with its facts. Named pipes, sockets,
// devices and velin repositories inside the tree are left out and listed
// in Facts.Skipped. Names are bytes, never assumed to be UTF-8.
//
// TestRestore compares the restored tree with the snapshot entry by
// entry: names, kinds, targets, hard links and a SHA-256 of each file
// against the content read from the repository.
//
// A restore writes into RestoreOptions.To, or in place (each root into its
// own parent directory). It never writes outside the destination: paths
// with "..", absolute paths, hard links pointing outside the tree and any
// path whose parent is a symlink (in the tree or already at the
// destination) are refused, and every write goes through an os.Root. Files
// are written to a temporary name and renamed only once durable, so a
// reader never sees a half-written file, even after a crash: on Linux the
// renames of a group of files (up to 256 MiB or 4096 files) wait for one
// syncfs of the destination, elsewhere each file is fsynced. On Linux,
// files of 128 KiB and more are written with direct I/O (O_DIRECT, the
// last partial block through the page cache), which skips the copy into
// the page cache; a filesystem that refuses it gets buffered writes.
// Directory modes and times are set last, and a final sync makes the whole
// restore durable before Restore returns.
//
// Exclude and include globs (doublestar syntax) share one rule (see
// match): a glob without a slash matches a name at any depth ("*.tmp"); one
// with a slash matches the path from inside a root ("cache/**") or from the
// root's base name ("site/cache/**"). A matching directory brings its whole
// subtree; the parents of selected entries are created too.
//
// A restore does not delete files at the destination that the snapshot
// does not have, so PlanRestore lists one "create", "replace" or
// "unchanged" change per file, never "delete". A file is unchanged when
// size, mtime and permissions match and it either is the very file backed
// up (same device, inode and ctime) or has the snapshot's content; Restore
// leaves such files alone, so an interrupted restore can be run again.
// Interrupted restores may leave ".velin-*.tmp" files behind; they are
// never renamed into place, and the next restore removes them from the
// directories it writes. A file whose snapshot data is damaged is left out
// and reported in a *provider.Partial; the rest is restored.
package files
