package plan

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/forget"
	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
	"github.com/velinhq/velin/providers/provider"
)

// Options select what to plan.
type Options struct {
	Selection graph.Selection
	Snapshot  string // restore: snapshot id or prefix; "" = the latest of the restore's backup
	Strategy  string // overrides every backup's strategy when set ("full" or "incremental")
}

type maker struct {
	ws   *workspace.Workspace
	opts Options
	p    *Plan
}

// Make builds the plan of g. It reads sources and repositories but changes
// nothing. Problems with one action (an unreachable source) are recorded on
// the action; the caller fails when Plan.Errors is not empty.
func Make(ctx context.Context, ws *workspace.Workspace, g *graph.Graph, opts Options) (*Plan, error) {
	m := &maker{ws: ws, opts: opts, p: &Plan{
		Version: FormatVersion, Created: ws.Now().UTC(),
		ConfigPath: ws.Config.Dir, ConfigHash: ws.Config.Hash,
		Selection: opts.Selection, Repos: map[string]string{},
	}}
	for _, n := range g.Nodes() {
		a, err := m.action(ctx, n)
		if err != nil {
			return nil, err
		}
		if a == nil {
			continue
		}
		if a.Error != "" {
			a.Error = ws.Redactor.String(a.Error)
			m.p.Summary.Errors++
		}
		m.p.Actions = append(m.p.Actions, *a)
	}
	return m.p, nil
}

// fail records that a cannot run, because of err.
func (m *maker) fail(a *Action, err error) {
	a.Error = err.Error()
	m.p.errs = append(m.p.errs, fmt.Errorf("%s: %w", a.Node, err))
}

func (m *maker) action(ctx context.Context, n *graph.Node) (*Action, error) {
	a := &Action{Node: n.ID, Kind: string(n.Kind), Phase: string(n.Phase), Owner: n.Owner, Addr: n.Addr}
	switch n.Kind {
	case graph.KindStep:
		return m.step(a)
	case graph.KindSource:
		return m.source(ctx, a)
	case graph.KindSnapshot:
		return m.snapshot(ctx, a)
	case graph.KindVerify:
		return m.verify(a)
	case graph.KindCommit:
		return nil, nil // part of the snapshot action for the user
	case graph.KindRetention:
		return m.retention(ctx, a)
	case graph.KindCopy:
		return m.copyTo(a)
	case graph.KindRestore:
		return m.restore(ctx, a)
	}
	return nil, fmt.Errorf("plan: unknown node kind %q", n.Kind)
}

func (m *maker) step(a *Action) (*Action, error) {
	st := m.ws.Config.Steps[a.Addr]
	a.Marker = "~"
	a.Summary = fmt.Sprintf("run %s (%s %s)", a.Addr, a.Phase, a.Owner)
	a.Details = []string{m.ws.Redactor.String(st.Impl.Describe())}
	m.p.Summary.Steps++
	return a, nil
}

func (m *maker) backup(owner string) *config.Backup {
	return m.ws.Config.Backups[owner]
}

func (m *maker) strategy(b *config.Backup) string {
	if m.opts.Strategy != "" {
		return m.opts.Strategy
	}
	return b.Strategy
}

// repoFor opens (without creating) the repository of a backup's target and
// records its fingerprint for the stale-plan check.
func (m *maker) repoFor(ctx context.Context, targetAddr string) (*repo.Repository, error) {
	r, err := m.ws.Repo(ctx, targetAddr, false)
	if err != nil {
		return nil, err
	}
	if _, ok := m.p.Repos[targetAddr]; !ok {
		fp, err := fingerprint(ctx, r)
		if err != nil {
			return nil, err
		}
		m.p.Repos[targetAddr] = fp
	}
	return r, nil
}

func (m *maker) source(ctx context.Context, a *Action) (*Action, error) {
	b := m.backup(a.Owner)
	src := m.ws.Config.Sources[a.Addr]
	a.Marker = "+"
	facts, err := src.Impl.Inspect(ctx)
	if err != nil {
		a.Summary = "back up " + a.Addr
		m.fail(a, fmt.Errorf("inspect: %w", err))
		return a, nil
	}
	a.Facts = &facts
	a.Summary = "back up " + a.Addr + ": " + describeFacts(facts)
	a.Details = append(a.Details, factNotes(facts)...)
	if note := m.newRepoInside(src, b, facts); note != "" {
		a.Details = append(a.Details, note)
	}
	m.p.Summary.Sources++
	m.p.Summary.Files += facts.Files
	m.p.Summary.Bytes += facts.Bytes
	r, err := m.repoFor(ctx, b.Target.Addr)
	if err != nil {
		m.fail(a, err)
		return a, nil
	}
	if m.strategy(b) == "full" {
		a.Details = append(a.Details, "full: every byte is read again (stored data still deduplicates)")
		return a, nil
	}
	parent, err := latest(ctx, r, b.Name, repo.SourceKey(src.Type, src.Name))
	if err != nil {
		m.fail(a, err)
		return a, nil
	}
	if parent == nil {
		a.Details = append(a.Details, "incremental: no parent snapshot yet, so this one is full")
	} else {
		a.Parent = parent.ID
		what := "unchanged data is not stored again"
		if facts.Type == "files" {
			what = "unchanged files are not read again"
		}
		a.Details = append(a.Details, "incremental on "+parent.ID+": "+what)
	}
	return a, nil
}

func (m *maker) snapshot(ctx context.Context, a *Action) (*Action, error) {
	b := m.backup(a.Owner)
	t := m.ws.Config.Targets[b.Target.Addr]
	r, err := m.repoFor(ctx, b.Target.Addr)
	if err != nil {
		m.fail(a, err)
	}
	a.Marker = "+"
	strategy := m.strategy(b)
	if strategy == "incremental" && err == nil {
		if parent, perr := latest(ctx, r, b.Name, ""); perr == nil && parent == nil {
			strategy = "full: the first of this backup"
		}
	}
	a.Summary = fmt.Sprintf("create snapshot of %s (%s) in %s", a.Owner, strategy, b.Target.Addr)
	a.Details = []string{"repository: " + t.Impl.Location()}
	if r == nil && err == nil {
		a.Details = append(a.Details, "the repository does not exist yet and will be created")
	}
	m.p.Summary.Snapshots++
	return a, nil
}

func (m *maker) verify(a *Action) (*Action, error) {
	b := m.backup(a.Owner)
	var what []string
	if b.Verify.Checksums {
		what = append(what, "re-read and authenticate every chunk")
	}
	if b.Verify.TestRestore {
		what = append(what, "test-restore every source into a temporary place")
	}
	for _, as := range b.Verify.Asserts {
		a.Details = append(a.Details, fmt.Sprintf("assert %q on %s", as.Name, as.Source.Addr))
	}
	a.Marker = "+"
	a.Summary = "verify the new snapshot of " + a.Owner + ": " + strings.Join(what, ", ")
	return a, nil
}

func (m *maker) retention(ctx context.Context, a *Action) (*Action, error) {
	b := m.backup(a.Owner)
	r, err := m.repoFor(ctx, b.Target.Addr)
	if err != nil {
		m.fail(a, err)
		return a, nil
	}
	ids, err := forget.Forgettable(ctx, r, b, m.ws.Now())
	if err != nil {
		m.fail(a, err)
		return a, nil
	}
	a.Marker = "-"
	a.Forget = ids
	a.Summary = fmt.Sprintf("apply retention of %s (%s): forget %d snapshot(s)", a.Owner, forget.PolicyString(b.Retention), len(ids))
	if len(ids) == 0 {
		a.Marker = "~"
		a.Summary = fmt.Sprintf("apply retention of %s (%s): nothing to forget", a.Owner, forget.PolicyString(b.Retention))
	}
	a.Details = ids
	m.p.Summary.Forget += len(ids)
	return a, nil
}

// copyTo describes a copy_to target: what it will receive and keep.
func (m *maker) copyTo(a *Action) (*Action, error) {
	b := m.backup(a.Owner)
	a.Marker = "+"
	a.Summary = fmt.Sprintf("copy the new snapshot of %s, and any it lacks, to %s", a.Owner, a.Addr)
	if rt := b.CopyRetention[a.Addr]; rt != nil {
		a.Details = []string{"then apply its retention (" + forget.PolicyString(rt) + ")"}
	}
	return a, nil
}

func describeFacts(f provider.Facts) string {
	parts := []string{}
	if f.Tables > 0 || f.Rows > 0 {
		parts = append(parts, plural(f.Tables, "table"), plural(f.Rows, "row"))
	}
	if f.Tables == 0 && f.Rows == 0 {
		parts = append(parts, plural(f.Files, "file"))
	}
	parts = append(parts, bytesize.Format(f.Bytes))
	if f.ServerVersion != "" {
		parts = append(parts, f.ServerVersion)
	}
	return strings.Join(parts, ", ")
}

// plural writes "1 file", "2 files".
func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// factNotes says what a source leaves out, cannot read, or follows, and
// the details it reports (a database server's client, its databases).
func factNotes(f provider.Facts) []string {
	var out []string
	names := make([]string, 0, len(f.Links))
	for name := range f.Links {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		out = append(out, fmt.Sprintf("%s is a symlink to %s: followed", name, f.Links[name]))
	}
	for _, p := range f.Skipped {
		what := "skipped"
		if p.Err == "velin repository" {
			what = "excluded"
		}
		out = append(out, fmt.Sprintf("%s: %s (%s)", what, p.Path, p.Err))
	}
	for _, p := range f.Incomplete {
		out = append(out, fmt.Sprintf("cannot back up %s: %s", p.Path, p.Err))
	}
	keys := make([]string, 0, len(f.Details))
	for k := range f.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+": "+f.Details[k])
	}
	return out
}

// newRepoInside notes that the backup's repository, not created yet, will
// be inside a file tree the source reads, and left out: once it exists the
// source finds it itself (Facts.Skipped).
func (m *maker) newRepoInside(src *config.Source, b *config.Backup, f provider.Facts) string {
	c, ok := src.Impl.(provider.LocalTree)
	if !ok {
		return ""
	}
	p, inside := c.Contains(m.ws.Config.Targets[b.Target.Addr].Impl.Location())
	if !inside {
		return ""
	}
	for _, s := range f.Skipped {
		if s.Path == p {
			return ""
		}
	}
	return fmt.Sprintf("excluded: %s (velin repository, created by this backup)", p)
}
