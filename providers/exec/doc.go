// Package exec is the `step "exec"` provider: run a program (no shell)
// before, after or finally around a backup or restore.
//
// The environment is a secret-free base taken from velin's own (env.go:
// PATH, HOME, locale, …; never VELIN_PASSPHRASE or VELIN_VAR_*) plus `env`;
// sensitive values and values of variables whose names contain PASSWORD,
// SECRET, TOKEN or KEY are registered as secrets so the engine redacts them
// from all output, and a sensitive value in `command` is refused. Standard
// output and error are merged and written to the step log line by line,
// each line prefixed with the program's name; a line longer than the buffer
// is passed on in pieces without breaking it. A non-zero exit is an error with the exit code and
// the last lines of output. On timeout the whole process group is killed.
package exec
