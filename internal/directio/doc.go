// Package directio writes files with direct I/O (O_DIRECT: from the
// caller's buffer to the disk, without a copy into the page cache) where
// the platform and the filesystem allow it, and through the page cache
// everywhere else. The local storage (packs) and the files provider
// (restored files) both write through it.
//
// The contract:
//
//   - Alignment: a direct write must start aligned to Block in the file
//     and in memory. AlignedBuf returns such a buffer; Start refuses a
//     buffer that is not aligned (Aligned). The caller writes from the
//     start of the file, in chunks that are whole multiples of Block
//     except the last.
//   - Fallback: Start reports false, and leaves the file as it was, where
//     the filesystem refuses O_DIRECT (tmpfs on older kernels). Write
//     turns direct I/O off and writes through the page cache when the
//     filesystem refuses a direct write (EINVAL, nothing written) and for
//     a partial last block; it then reports false, and every later Write
//     is buffered. Refusal is never an error.
//   - Durability is the caller's: direct I/O does not make a file's size,
//     extents or the disk's cache durable; fsync (or syncfs) still does.
//   - Platforms: Linux only. Elsewhere (darwin, freebsd, …) Start always
//     reports false and every write goes through the page cache.
package directio
