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
// Exclude globs (doublestar syntax) match the path relative to each root
// ("cache/**" is the cache directory right under a root); a glob without a
// slash also matches the base name at any depth ("*.tmp").
//
// A restore does not delete files at the destination that the snapshot
// does not have, so PlanRestore lists only "create" (the topmost missing
// paths) and "replace" changes, never "delete". An existing file is listed
// as replaced when its size or mtime differ, or, on the device it was
// backed up from, when its inode or ctime differ (it was rewritten since,
// perhaps keeping size and mtime). Interrupted restores may leave
// ".velin-*.tmp" files behind; they are never renamed into place. Include globs select entries; a matching directory
// brings its whole subtree, and the parents of selected entries are
// created too.
package files
