// Package cli holds velin's cobra commands, one file per command in the
// manner of `cmd_<verb>.go`. Each command is built by a newXCommand function
// from an options struct; nothing lives in package globals, so the commands
// can run in-process (examples/quickstart, end-to-end tests) with their own
// standard streams and environment.
//
// Exit codes: 0 success; 1 an error (a configuration mistake, a failed
// action, a refused confirmation); 2 only with `plan -detailed-exitcode`,
// when the plan has changes.
package cli
