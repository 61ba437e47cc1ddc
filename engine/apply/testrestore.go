package apply

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
	"github.com/velinhq/velin/providers/provider"
)

// TestRestoreOptions say what a test restore checks besides the counts.
type TestRestoreOptions struct {
	// Asserts are the assertions to run, by source key ("sqlite.app").
	Asserts map[string][]provider.Assert
	// ScratchRoot is where scratch directories are made; "" means
	// os.TempDir().
	ScratchRoot string
	// Note is told what leftovers of interrupted test restores were
	// removed, and what could not be; may be nil.
	Note func(string)
}

func (o TestRestoreOptions) note(format string, args ...any) {
	if o.Note != nil {
		o.Note(fmt.Sprintf(format, args...))
	}
}

// TestRestore restores every source of m into a temporary place, compares
// what it finds with the manifest, runs the sources' assertions and
// records every check in v. The error wraps provider.ErrAssertion when
// every source restored but some check failed (the data is there, it is
// just not what the checks expect).
func TestRestore(ctx context.Context, ws *workspace.Workspace, rp *repo.Repository, m *repo.Manifest, v *repo.Verification, opts TestRestoreOptions) error {
	if v.TestRestore == nil {
		v.TestRestore = map[string]string{}
	}
	if opts.ScratchRoot == "" {
		opts.ScratchRoot = os.TempDir()
	}
	if removed := RemoveStaleScratch(opts.ScratchRoot, ws.Now()); len(removed) > 0 {
		opts.note("removed scratch directories of interrupted test restores: %s", strings.Join(removed, ", "))
	}
	var failed failures
	for _, sm := range m.Sources {
		start := time.Now()
		c := repo.Check{Kind: "test_restore", Source: sm.Key, Status: "ok"}
		res, err := testRestoreOne(ctx, ws, rp, m, sm, opts, &c)
		c.DurationMS = time.Since(start).Milliseconds()
		for i := range c.Results {
			c.Results[i].Detail = ws.Redactor.String(c.Results[i].Detail)
		}
		if err != nil {
			v.TestRestore[sm.Key] = "failed: " + ws.Redactor.Error(err)
			c.Status, c.Error = "failed", ws.Redactor.Error(err)
			failed = append(failed, fmt.Errorf("%s: %w", sm.Key, err))
		} else {
			v.TestRestore[sm.Key] = res
		}
		v.Checks = append(v.Checks, c)
	}
	if len(failed) > 0 {
		return fmt.Errorf("test restore: %w", failed)
	}
	return nil
}

// failures are the errors of several test restores; they are an
// ErrAssertion only when each of them is.
type failures []error

func (f failures) Error() string {
	msgs := make([]string, len(f))
	for i, err := range f {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

// Is matches ErrAssertion when every failure is one, any other target
// (context.Canceled…) when some failure is.
func (f failures) Is(target error) bool {
	all, some := true, false
	for _, err := range f {
		is := errors.Is(err, target)
		all, some = all && is, some || is
	}
	if target == provider.ErrAssertion {
		return all
	}
	return some
}

// testRestoreOne test-restores one source, filling c's counts, results
// and leftovers; it returns the sentence kept in Verification.TestRestore.
func testRestoreOne(ctx context.Context, ws *workspace.Workspace, rp *repo.Repository, m *repo.Manifest, sm repo.SourceManifest, opts TestRestoreOptions, c *repo.Check) (string, error) {
	src, err := ws.Source(&sm)
	if err != nil {
		return "", err
	}
	if cl, ok := src.(provider.LeftoverCleaner); ok {
		removed, err := cl.CleanLeftovers(ctx)
		c.Leftovers = removed
		if len(removed) > 0 {
			opts.note("%s: removed leftovers of interrupted test restores: %s", sm.Key, strings.Join(removed, ", "))
		}
		if err != nil {
			opts.note("%s: could not remove leftovers of interrupted test restores: %s", sm.Key, ws.Redactor.Error(err))
		}
	}
	tree, err := rp.Tree(ctx, m, sm.Key)
	if err != nil {
		return "", err
	}
	scratch, err := os.MkdirTemp(opts.ScratchRoot, fmt.Sprintf("%s%d-", scratchPrefix, os.Getpid()))
	if err != nil {
		return "", fmt.Errorf("scratch directory: %w", err)
	}
	defer os.RemoveAll(scratch)
	asserts := opts.Asserts[sm.Key]
	rep, err := src.TestRestore(ctx, tree, provider.TestRestoreOptions{Scratch: scratch, ID: testRestoreID(m, sm), Asserts: asserts})
	got := rep.Counts
	c.Counts = repo.CheckCounts{Files: got.Files, Bytes: got.Bytes, Rows: got.Rows}
	if err != nil {
		return "", err
	}
	c.Results = append([]provider.CheckResult{countCheck(got, sm)}, rep.Checks...)
	c.Results = append(c.Results, notRun(asserts, rep.Checks)...)
	if bad := (provider.TestReport{Checks: c.Results}).Failed(); len(bad) > 0 {
		what := make([]string, len(bad))
		for i, f := range bad {
			what[i] = f.Name + ": " + f.Detail
		}
		return "", fmt.Errorf("%w: %s", provider.ErrAssertion, strings.Join(what, "; "))
	}
	res := fmt.Sprintf("ok: %d files, %s", got.Files, bytesize.Format(got.Bytes))
	if got.Rows > 0 {
		res += fmt.Sprintf(", %d rows", got.Rows)
	}
	if got.Check != "" {
		res += ", " + got.Check
	}
	if n := len(asserts); n > 0 {
		res += fmt.Sprintf(", %d assertion(s) passed", n)
	}
	return res, nil
}

// countCheck compares what a test restore counted with the manifest.
func countCheck(got provider.Counts, sm repo.SourceManifest) provider.CheckResult {
	c := provider.CheckResult{Name: "counts", Kind: "count",
		Passed: got.Files == sm.Files && got.Bytes == sm.Bytes && got.Rows == sm.Rows}
	c.Detail = fmt.Sprintf("%d files, %d bytes, %d rows", got.Files, got.Bytes, got.Rows)
	if !c.Passed {
		c.Detail += fmt.Sprintf("; the snapshot says %d files, %d bytes, %d rows", sm.Files, sm.Bytes, sm.Rows)
	}
	return c
}

// notRun is a failed check for each assertion the source did not report:
// an assertion that was not run proves nothing.
func notRun(asserts []provider.Assert, checks []provider.CheckResult) []provider.CheckResult {
	ran := map[string]bool{}
	for _, c := range checks {
		if c.Kind == "assert" {
			ran[c.Name] = true
		}
	}
	var out []provider.CheckResult
	for _, a := range asserts {
		if !ran["assert "+a.Name] {
			out = append(out, provider.CheckResult{Name: "assert " + a.Name, Kind: "assert",
				Detail: "the source did not run this assertion"})
		}
	}
	return out
}

// testRestoreID names one test restore: lowercase letters and digits
// only, unique per snapshot, source and run.
func testRestoreID(m *repo.Manifest, sm repo.SourceManifest) string {
	var b strings.Builder
	for _, r := range strings.ToLower(m.ID + sm.Key) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	id := b.String()
	if len(id) > 24 {
		id = id[len(id)-24:]
	}
	return fmt.Sprintf("%s%x", id, time.Now().UnixNano()&0xffffff)
}
