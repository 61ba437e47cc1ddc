// Package counting wraps a storage.Storage and counts the requests made
// through it: List, Get, GetRange, Stat, Put and Delete calls, whether
// they succeed or not. The workspace wraps every target's storage in one,
// and the CLI writes the counts to the file named by VELIN_STATS_FILE
// when the command ends (docs/design.md, "Local cache"), so a benchmark
// can report how many requests each operation made.
//
// A List call counts once however many pages the storage fetches for it
// (the S3 storage asks for 1,000 keys a page). The wrapper changes
// nothing else: it runs the storagetest suite.
package counting
