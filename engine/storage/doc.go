// Package storage defines the object store that a velin repository lives on.
//
// The contract is deliberately S3's: named immutable objects that are written
// whole, read whole or by range, listed by prefix and deleted. There is no
// rename, no append and no directory; a listing may lag behind a write. The
// repository layer (engine/repo) is written against this contract only, so a
// local directory and an S3 bucket behave the same to it.
//
// Implementations live in sub-packages (storage/local now, storage/s3 next);
// storagetest holds the one suite every implementation must pass, and
// storage/faulty wraps any Storage to inject faults in tests.
package storage
