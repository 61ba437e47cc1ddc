package restore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/velinhq/velin/providers/provider"
)

// Status values of a SourceResult.
const (
	StatusRestored = "restored"
	StatusPartial  = "partial" // restored, except the entries in Problems
	StatusFailed   = "failed"
	StatusSkipped  = "skipped"
)

// Options tune Execute.
type Options struct {
	// WrapTree, when set, wraps each source's tree (to count bytes for a
	// progress bar).
	WrapTree func(provider.Tree) provider.Tree
	// Locked says the caller holds a lock on the repository for the whole
	// restore (a restore block holds one across its steps); otherwise
	// Execute takes a shared lock itself.
	Locked bool
}

// Result is what Execute did, source by source. It is JSON-friendly.
type Result struct {
	Snapshot string          `json:"snapshot"`
	Sources  []*SourceResult `json:"sources"`
}

// SourceResult is one source's outcome.
type SourceResult struct {
	Key      string             `json:"key"`
	Status   string             `json:"status"`
	Error    string             `json:"error,omitempty"`
	Problems []provider.Problem `json:"problems"`
}

// Execute restores what p plans, under a shared repository lock (see
// Options.Locked). A source
// that fails does not stop the others. It returns an error only when
// nothing could be attempted (the lock); per-source outcomes are in the
// Result, summed up by Result.Err.
func Execute(ctx context.Context, p *Plan, opts Options) (*Result, error) {
	if !opts.Locked && p.req.Repo != nil {
		lock, err := p.req.Repo.Lock(ctx, false)
		if err != nil {
			return nil, err
		}
		defer lock.Unlock(context.WithoutCancel(ctx))
	}
	res := &Result{Snapshot: p.Snapshot, Sources: []*SourceResult{}}
	for _, sp := range p.Sources {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		res.Sources = append(res.Sources, executeSource(ctx, sp, opts))
	}
	return res, ctx.Err() // interrupted during the last source
}

func executeSource(ctx context.Context, sp *SourcePlan, opts Options) *SourceResult {
	r := &SourceResult{Key: sp.Key, Problems: []provider.Problem{}}
	switch {
	case sp.Skipped != "":
		r.Status = StatusSkipped
		return r
	case sp.err != nil:
		r.Status, r.Error = StatusFailed, sp.Error
		return r
	}
	tree := sp.tree
	if opts.WrapTree != nil {
		tree = opts.WrapTree(tree)
	}
	err := sp.src.Restore(ctx, tree, sp.opts)
	var partial *provider.Partial
	switch {
	case err == nil:
		r.Status = StatusRestored
	case errors.As(err, &partial):
		r.Status, r.Error, r.Problems = StatusPartial, err.Error(), partial.Problems
	default:
		r.Status, r.Error = StatusFailed, fmt.Sprintf("restore %s: %v", sp.Key, err)
	}
	return r
}

// Err sums the result up: nil when every source that was not skipped was
// restored; a *provider.Partial when some were restored and others failed
// or were damaged; otherwise an error naming what failed.
func (r *Result) Err() error {
	var problems []provider.Problem
	var failed []string
	restored := 0
	for _, s := range r.Sources {
		switch s.Status {
		case StatusRestored:
			restored++
		case StatusPartial:
			restored++
			problems = append(problems, prefixed(s)...)
		case StatusFailed:
			failed = append(failed, s.Error)
			problems = append(problems, provider.Problem{Path: s.Key, Op: "restore", Err: s.Error})
		}
	}
	switch {
	case len(problems) == 0:
		return nil
	case restored > 0:
		return &provider.Partial{Op: "restore " + r.Snapshot, Problems: problems}
	}
	return errors.New(strings.Join(failed, "; "))
}

// prefixed returns a partial source's problems with the source key in
// front of each path.
func prefixed(s *SourceResult) []provider.Problem {
	out := make([]provider.Problem, 0, len(s.Problems))
	for _, p := range s.Problems {
		p.Path = s.Key + ":" + p.Path
		out = append(out, p)
	}
	return out
}
