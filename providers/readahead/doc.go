// Package readahead decouples the producer of a stream from its consumer:
// a goroutine reads ahead into a bounded set of buffers, so that a dump
// tool writing to velin (or velin's reading of a snapshot) goes on while
// the consumer is busy chunking, hashing or feeding a client, instead of
// stalling on a full 64 KiB pipe. Memory is bounded by the buffers.
package readahead
