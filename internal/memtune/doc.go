// Package memtune sets the Go collector's target for velin's processes:
// a backup keeps long-lived buffers (packs, the index) whose size Go's
// default GOGC=100 lets the heap grow past by as much again between
// collections. docs/performance.md ("Scale: one stream") has the figures.
package memtune
