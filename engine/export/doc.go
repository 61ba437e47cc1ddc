// Package export writes one snapshot as a single ZIP file that standard
// tools open, and reads such a file back as a snapshot (a manifest and a
// provider.Tree per source) for `velin backup import` and
// `velin backup restore --zip`.
//
// # Layout
//
// The ZIP holds manifest.toml (format version, snapshot id and time, the
// velin that wrote it, each source with its server version, sizes and the
// SHA-256 of every entry), snapshot.json (the repository manifest, for an
// import that keeps every field) and, under a folder per source key, the
// source's data in its native form:
//
//   - a source whose snapshot is only top-level files (postgres, mysql,
//     sqlite, redis) keeps one ZIP entry per file, deflated: a plain SQL
//     dump per database, the SQLite database file, and for Redis one
//     "db<N>.resp" per database: RESTORE … REPLACE ABSTTL commands in the
//     Redis protocol that `redis-cli -n N --pipe` replays (converted from
//     and back to velin's own record stream, see resp.go);
//     With Options.Compress "zstd" a SQL dump is "<db>.sql.zst" instead,
//     stored as it is (zstd.go; the export is then format 2);
//   - any other source (file trees, buckets) is one uncompressed
//     "tree.tar" (PAX) with modes, owners, times, symlinks and hard links;
//     an entry's velin metadata (a bucket object's content type, ETag,
//     user metadata and tags) is kept as PAX records "VELIN.meta.<key>",
//     and listed in "meta.jsonl" beside it for a restore by hand (meta.go).
//
// # Where it is read from
//
// Open reads a ZIP through an io.ReaderAt; OpenStorage reads an export
// placed in a folder of a storage by hand (a bucket's "ID/"), as its ZIP
// or unpacked, with ranged reads (objectreader.go). Both give the same
// Archive: its files are members (member.go), ZIP entries or objects.
//
// manifest.toml and snapshot.json are written last, once every checksum
// is known, so the export streams: nothing is staged on disk and memory
// stays bounded by the ZIP and age buffers whatever the snapshot's size.
//
// # Encryption
//
// Unless Plain, the whole ZIP is encrypted with age (filippo.io/age) to a
// scrypt passphrase recipient, so `age -d` opens it. Reading uses age's
// DecryptReaderAt: random access to the encrypted file, each 64 KiB chunk
// authenticated as it is read, so the ZIP's central directory is read
// without decrypting the whole file first.
//
// # Safety on read
//
// Open refuses a file that is not a complete ZIP (a truncated one has no
// central directory), a wrong passphrase, and a manifest whose format is
// newer than FormatVersion. Verify reads every entry once and checks its
// SHA-256 and size against the manifest; restore and import call it before
// they change anything, so a damaged entry restores nothing.
package export
