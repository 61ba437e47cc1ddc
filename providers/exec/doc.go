// Package exec is the `step "exec"` provider: run a program (no shell)
// before, after or finally around a backup or restore.
//
// The environment is velin's own plus `env`; values of variables whose
// names contain PASSWORD, SECRET, TOKEN or KEY are registered as secrets so
// the engine redacts them from all output. Standard output and error are
// merged and written to the step log line by line, each line prefixed with
// the program's name. A non-zero exit is an error with the exit code and
// the last lines of output. On timeout the whole process group is killed.
package exec
