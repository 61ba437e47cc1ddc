// Package diskcache is the local cache of a repository's immutable
// metadata (docs/design.md, "Local cache"): a directory of entries named
// like the objects they hold ("index/<id>", "snapshots/<id>",
// "trees/<blob id>"), each the object's stored bytes after a tag the
// caller chooses (the listing's size, time and ETag; a blob's flags and
// length) and checks on every read.
//
// The cache knows nothing of keys or formats: it never decides whether an
// entry is valid. The repository authenticates every entry it reads, as
// it would a fetched object, and deletes one that fails. Every write goes
// to a temporary file that is renamed into place, so no reader sees a
// partial entry; it is not fsynced, because an entry a power loss damaged
// is caught when read like any other. The whole directory may be deleted
// at any time.
// Directories are created with mode 0700 and files with 0600: the entries
// are sealed, but the cache is nobody else's business. Safe for concurrent
// use, by several processes too.
package diskcache
