// Package peakrss reads and resets the process's peak resident set size
// (VmHWM on Linux), for the benchmarks that report memory per phase
// (docs/performance.md). Elsewhere MB reports 0.
package peakrss
