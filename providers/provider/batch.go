package provider

import (
	"context"
	"io"
)

// BatchFile is one file of a Batcher's batch: where its content goes and
// whom to tell once it is all there.
type BatchFile struct {
	// Entry is a KindFile entry yielded by the tree's Walk, of Size > 0.
	Entry Entry
	// Out receives the content by WriteAt at its offsets, in any order and
	// from several goroutines at once (never two writes of the same bytes).
	Out io.WriterAt
	// Done is called once, when every byte of the file was written (nil),
	// or as soon as the file cannot be complete: its snapshot data is
	// damaged (an error naming the blob), or a write to Out failed (that
	// error). It is not called for the files still unfinished when
	// ReadBatch returns an error.
	Done func(err error)
}

// Batcher is implemented by trees that read the content of many files at
// once in the order it is stored (a repository: pack by pack), so that one
// read serves every file of the batch that needs those bytes, however the
// files' chunks are interleaved.
type Batcher interface {
	// ReadBatch writes the content of files. It returns once every file is
	// done, or with an error that is not one file's (a failed or cut-off
	// read of the storage, ctx), after the writes it started ended.
	ReadBatch(ctx context.Context, files []BatchFile) error
}
