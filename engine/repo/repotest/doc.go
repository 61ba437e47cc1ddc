// Package repotest holds test helpers for the repository: an in-memory
// Storage that obeys the storage contract. Crashes are simulated with
// engine/storage/faulty (CrashAfter).
package repotest
