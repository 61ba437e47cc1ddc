// Package repotest holds test helpers for the repository: an in-memory
// Storage that obeys the storage contract, and a wrapper that fails writes
// after a number of them, to simulate a crash.
package repotest
