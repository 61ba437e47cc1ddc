package storage

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned (possibly wrapped; test with errors.Is) by Get,
// GetRange and Stat when no object has the given name. Delete never
// returns it: S3 does not say whether the object existed.
var ErrNotFound = errors.New("object not found")

// ErrExists is returned by Put with IfAbsent when the name is already taken.
// Of racing IfAbsent writers exactly one wins; an S3 implementation uses a
// conditional write (If-None-Match: *) for it. Some S3-compatible servers
// ignore that header and replace the object: an implementation passes
// IfAbsent on and need not know, because the repository probes the storage
// before relying on it (docs/design.md, "Snapshot ids and manifests").
var ErrExists = errors.New("object already exists")

// ErrInvalidRange is returned (possibly wrapped) by GetRange for a negative
// offset or an offset past the end of the object (S3's 416).
var ErrInvalidRange = errors.New("invalid range")

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Name string // full name, e.g. "data/ab/ab12…"
	Size int64
	// ModTime is when the object was last written, by the storage's clock
	// (S3's LastModified, a file's mtime). Never zero for a stored object.
	ModTime time.Time
	// ETag identifies the object's content where the storage has one
	// (S3); "" otherwise.
	ETag string
}

// PutOptions tunes a write.
type PutOptions struct {
	// IfAbsent makes Put fail with ErrExists when the object exists.
	IfAbsent bool
}

// Storage is an object store with S3 semantics.
//
// Names are slash-separated relative paths of printable ASCII ("keys/…",
// "data/ab/…"); they never start with "/", never contain "." or ".."
// segments, and the repository never stores both "a" and "a/b" (a local
// directory cannot). Implementations reject other names.
//
// Every method is safe for concurrent use. Every method honours ctx: a
// context canceled before the call gives an error wrapping context.Canceled
// and no effect. A call canceled while it runs (or failing with a network
// error) may or may not have taken effect, as with S3: a Put either stored
// the whole object or nothing, a Delete either removed the object or not.
// Callers never conclude from such an error that nothing happened; the
// repository's writes are idempotent, so it retries or leaves debris that
// a later prune or CleanTemp removes.
//
// Listings may lag: an object written moments ago may be missing from List,
// and an object deleted moments ago may still be listed (and then be
// ErrNotFound to Get and Stat). Get and Stat are consistent right after a
// write.
//
// The shared suite (storagetest.Run) pins down the details below; a new
// implementation must pass it.
type Storage interface {
	// Put stores the object atomically: a reader sees either no object or
	// the whole content, never a prefix. size is the exact length of r
	// (-1 if unknown). Put reads r to EOF but does not close it, and keeps
	// nothing of it once it returns (the caller reuses the bytes). When r fails
	// or yields a different length than size, Put stores nothing and returns
	// an error wrapping the reader's. The object is
	// durable when Put returns nil (fsynced on local disk). Writing the same
	// name twice replaces the object; the repository only does that with
	// identical content, so a retry after an error is always safe.
	Put(ctx context.Context, name string, r io.Reader, size int64, opts PutOptions) error

	// Get opens the whole object. The caller closes the reader.
	// A missing object is ErrNotFound.
	Get(ctx context.Context, name string) (io.ReadCloser, error)

	// GetRange opens length bytes at offset. length < 0 means to the end; a
	// range running past the end is cut at the end, length 0 and an offset
	// equal to the size give an empty reader, and an offset past the end or
	// a negative one is ErrInvalidRange (as S3 does). The caller closes the
	// reader. A missing object is ErrNotFound.
	GetRange(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error)

	// Stat describes one object. A missing object is ErrNotFound.
	Stat(ctx context.Context, name string) (ObjectInfo, error)

	// List calls fn for every object whose name starts with prefix, in no
	// particular order, with Name, Size and ModTime set. The listing may lag
	// (see above): callers that need a just-written object Stat it, and
	// callers that read a listed object cope with ErrNotFound. Returning an
	// error from fn stops the listing and List returns that error.
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error

	// Delete removes an object. Deleting a missing object succeeds (S3
	// does not tell), so a retry is always safe.
	Delete(ctx context.Context, name string) error

	// Location describes where the storage is, for messages (never secrets).
	Location() string
}
