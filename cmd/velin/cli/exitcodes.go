package cli

import (
	"context"
	"errors"

	"github.com/velinhq/velin/engine/plan"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/providers/provider"
)

// Exit codes, the same on every command (docs/cli.md).
const (
	exitOK          = 0
	exitFailure     = 1
	exitChanges     = 2   // plan -detailed-exitcode: changes present
	exitPartial     = 3   // something restored, backed up or verified with damage
	exitNotVerified = 4   // a snapshot restored but an assertion or count check failed
	exitNoRepo      = 10  // repository not found
	exitLocked      = 11  // repository locked
	exitPassphrase  = 12  // wrong passphrase
	exitInterrupted = 130 // Ctrl-C / SIGTERM
)

// codeFor maps an error to its exit code.
func codeFor(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.Is(err, provider.ErrAssertion):
		return exitNotVerified
	case errors.Is(err, provider.ErrPartial):
		return exitPartial
	case errors.Is(err, repo.ErrNoRepository):
		return exitNoRepo
	case errors.Is(err, repo.ErrLocked):
		return exitLocked
	case errors.Is(err, repo.ErrWrongPassphrase):
		return exitPassphrase
	}
	return exitFailure
}

// planFailure is err with the exit code of why the plan's actions cannot
// run: a missing repository, a lock or a wrong passphrase keep their code;
// anything else is 1.
func planFailure(p *plan.Plan, err error) error {
	code := codeFor(p.Err())
	if code == exitOK {
		code = exitFailure
	}
	return &exitError{code: code, err: err}
}
