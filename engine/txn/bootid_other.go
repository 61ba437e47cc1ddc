//go:build !linux

package txn

// bootIDFile: none outside Linux (the BSDs and macOS have no such file).
const bootIDFile = ""
