package provider

import (
	"context"
	"errors"
)

// Assert is one `assert "<name>" { … }` of a backup's verify block: a
// check a test restore runs against the restored copy of one source.
type Assert struct {
	Name string
	// SQL is a query for database sources that speak SQL (postgres, mysql,
	// sqlite). It must return exactly one row of one column whose value is
	// true (a boolean true, or a non-zero number); anything else fails.
	SQL string
	// Keys is a key pattern (Redis SCAN MATCH syntax) for key-value sources;
	// at least MinCount keys must match it.
	Keys     string
	MinCount int64
}

// Asserter is implemented by sources whose test restore runs assertions.
// The configuration refuses an assert on a source that is not an Asserter,
// or that CheckAssert rejects (SQL given to Redis, keys to PostgreSQL).
type Asserter interface {
	CheckAssert(a Assert) error
}

// TestRestoreOptions say how to test-restore a source.
type TestRestoreOptions struct {
	// Scratch is an empty temporary directory owned by the caller, removed
	// after the call; file-based sources restore into it.
	Scratch string
	// ID is unique per test restore, made of [a-z0-9] only: database
	// sources name what they create from it (a database
	// "velin_verify_<ID>"), so a later run recognises leftovers.
	ID string
	// Asserts are the assertions of this source, run after the restore.
	Asserts []Assert
}

// CheckResult is one check a test restore made.
type CheckResult struct {
	Name       string `json:"name"`             // "rows public.customers", "assert customers", "integrity_check"
	Kind       string `json:"kind"`             // "count", "assert", "integrity"
	Passed     bool   `json:"passed"`           // false: the check failed
	Detail     string `json:"detail,omitempty"` // "12 rows (snapshot: 12)", "returned false", the error
	DurationMS int64  `json:"duration_ms"`
}

// TestReport is what a test restore found. The engine compares Counts with
// the manifest; Checks are shown and recorded as they are.
type TestReport struct {
	Counts Counts
	Checks []CheckResult
}

// Failed returns the checks that did not pass.
func (r TestReport) Failed() []CheckResult {
	var out []CheckResult
	for _, c := range r.Checks {
		if !c.Passed {
			out = append(out, c)
		}
	}
	return out
}

// ErrAssertion is wrapped by the engine's error when the data restored
// but an assertion or a count check failed; the CLI gives it its own exit
// code.
var ErrAssertion = errors.New("assertion failed")

// LeftoverCleaner is implemented by sources whose test restore creates
// something outside the scratch directory (a database, a Redis database
// number). Clean removes what an earlier test restore of this source left
// behind when it was killed, recognised by its name, and returns what it
// removed. The engine calls it before each test restore.
type LeftoverCleaner interface {
	CleanLeftovers(ctx context.Context) ([]string, error)
}
