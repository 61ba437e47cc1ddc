// Package s3 stores a velin repository in a bucket of Amazon S3 or an
// S3-compatible server (MinIO, Ceph, Garage…), through aws-sdk-go-v2.
//
// Every object is stored under the key PREFIX/NAME ("velin/prod/data/ab/…"
// for the prefix "velin/prod"). A write of known size up to twice the part
// size (16 MiB by default) is a single PutObject, a larger one or one of
// unknown size a multipart upload; either is atomic on S3: readers see no object or the
// whole of it. A failed multipart upload is aborted. Put with IfAbsent sends
// If-None-Match: * (on PutObject, or on CompleteMultipartUpload), and the
// server's 412 becomes storage.ErrExists.
//
// Memory stays bounded: a write holds one part (or the single request's
// body) in memory, so it can be resent after a network error; part buffers
// are reused. Reads stream.
//
// Requests are retried by the SDK's standard retryer, with exponential
// backoff and jitter, on throttling, 5xx responses and dropped connections
// (see Options.MaxAttempts). S3's NoSuchKey/404 becomes storage.ErrNotFound
// and its 416 storage.ErrInvalidRange.
//
// S3 is strongly consistent for reads after writes and for listings
// (since December 2020); other servers may let listings lag, which the
// storage contract allows.
package s3
