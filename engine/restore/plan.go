package restore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/providers/provider"
)

// Request is what to restore.
type Request struct {
	Repo *repo.Repository
	// Archive, when Repo is nil, is where the snapshot is read instead: an
	// export file (engine/export), read without a repository lock.
	Archive  Snapshots
	Snapshot *repo.Manifest
	// Sources are restored in this order (see Select).
	Sources []Source
	// Named says the user named the sources (--source): a source that
	// cannot apply Include is then an error instead of being left out.
	Named bool
	// To is a directory to restore under, or for a database server a
	// connection URL (kept as given); "" restores in place.
	To string
	// Flush overrides the sources' flush setting (provider.RestoreOptions).
	Flush *bool
	// Globals asks database sources to create the snapshot's globals the
	// destination lacks (provider.RestoreOptions).
	Globals bool
	// Include limits file-tree sources to matching paths (see
	// provider.RestoreOptions). Sources that cannot filter are never
	// touched by a restore with Include.
	Include []string
	// Database and Tables narrow a database source's restore (see
	// provider.RestoreOptions): one database of several, only some tables'
	// rows.
	Database string
	Tables   []string
	// Buckets and ToBucket narrow and redirect a restore of buckets
	// (provider.RestoreOptions); the caller selects only the sources they
	// apply to.
	Buckets  []string
	ToBucket string
}

// Snapshots reads the trees of a snapshot: a *repo.Repository, or an
// export opened with engine/export.
type Snapshots interface {
	Tree(ctx context.Context, m *repo.Manifest, sourceKey string) (provider.Tree, error)
	Location() string
}

// reader is where the request's snapshot is read.
func (req Request) reader() Snapshots {
	if req.Repo != nil {
		return req.Repo
	}
	return req.Archive
}

// Plan is what a restore will do, source by source. It is JSON-friendly;
// Execute carries it out.
type Plan struct {
	Snapshot   string        `json:"snapshot"`
	Repository string        `json:"repository"`
	Sources    []*SourcePlan `json:"sources"`
	req        Request
}

// SourcePlan is one source's part of a Plan.
type SourcePlan struct {
	Key         string `json:"key"`
	Type        string `json:"type"`
	Destination string `json:"destination"`
	// Skipped says why nothing of this source is restored ("" = restored).
	Skipped string `json:"skipped,omitempty"`
	// Error is why this source cannot be restored; the others still are.
	Error string `json:"error,omitempty"`
	// What the snapshot holds.
	Files  int64 `json:"files"`
	Bytes  int64 `json:"bytes"`
	Rows   int64 `json:"rows"`
	Tables int64 `json:"tables"`
	// What the restore does, counted by action (files or tables).
	Create    int      `json:"create"`
	Replace   int      `json:"replace"`
	Unchanged int      `json:"unchanged"`
	Drop      int      `json:"drop"`
	Delete    int      `json:"delete"` // objects deleted because the snapshot lacks them (source "s3", mode "replace")
	Changes   []Change `json:"changes"`

	src  provider.Source
	tree provider.Tree
	opts provider.RestoreOptions
	err  error
}

// Change is one item of a SourcePlan: snapshot next to current.
type Change struct {
	Action   string `json:"action"` // "create", "replace", "unchanged", "drop", "delete"
	What     string `json:"what"`
	Snapshot string `json:"snapshot"` // what the snapshot holds, e.g. "3 rows"
	Current  string `json:"current"`  // what exists now, "" when nothing
	Detail   string `json:"detail,omitempty"`
	Part     bool   `json:"part,omitempty"` // a table of the database above, not counted
}

// ChangeText puts what the snapshot holds next to what exists now, for a
// line of a restore plan in `velin plan` and `velin backup restore`
// ("snapshot: 3 rows; now: 5 rows; detail").
func ChangeText(snapshot, current, detail string) string {
	var parts []string
	if snapshot != "" {
		parts = append(parts, "snapshot: "+snapshot)
	}
	if current != "" {
		parts = append(parts, "now: "+current)
	}
	if detail != "" {
		parts = append(parts, detail)
	}
	return strings.Join(parts, "; ")
}

// Counts says how many items the source's restore creates, replaces,
// deletes (only when it deletes any) and leaves unchanged.
func (sp *SourcePlan) Counts() string {
	del := ""
	if sp.Delete > 0 {
		del = fmt.Sprintf(", %d to delete", sp.Delete)
	}
	return fmt.Sprintf("%d to create, %d to replace%s, %d unchanged", sp.Create, sp.Replace, del, sp.Unchanged)
}

// Overwrites counts the existing items the plan replaces, drops or deletes.
func (p *Plan) Overwrites() int {
	n := 0
	for _, s := range p.Sources {
		if s.Skipped == "" && s.Error == "" {
			n += s.Replace + s.Drop + s.Delete
		}
	}
	return n
}

// IsConnection says whether a --to is a database connection rather than a
// directory: a URL (redis://, mysql://, postgres://) or the MySQL driver's
// user:password@tcp(host:port)/db and @unix(/socket) forms, or a libpq
// keyword/value string starting with host=, hostaddr=, dbname= or service=.
func IsConnection(to string) bool {
	return strings.Contains(to, "://") || strings.Contains(to, "@tcp(") || strings.Contains(to, "@unix(") ||
		keywordDSN.MatchString(to)
}

// keywordDSN matches a libpq keyword/value connection string
// ("host=db dbname=app password=…").
var keywordDSN = regexp.MustCompile(`^\s*(host|hostaddr|dbname|service)\s*=`)

// keywordPassword finds the password of a keyword/value connection string.
var keywordPassword = regexp.MustCompile(`(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`)

// ConnectionPassword returns the password of a connection --to ("" when
// none), so that the caller can register it as a secret.
func ConnectionPassword(to string) string {
	if !IsConnection(to) {
		return ""
	}
	if keywordDSN.MatchString(to) {
		m := keywordPassword.FindStringSubmatch(to)
		if m == nil {
			return ""
		}
		pw := m[1]
		if strings.HasPrefix(pw, "'") {
			pw = strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(pw[1 : len(pw)-1])
		}
		return pw
	}
	if u, err := url.Parse(to); err == nil && u.User != nil {
		pw, _ := u.User.Password()
		return pw
	}
	for _, at := range []string{"@tcp(", "@unix("} {
		if i := strings.LastIndex(to, at); i >= 0 {
			_, pw, _ := strings.Cut(to[:i], ":")
			return pw
		}
	}
	return ""
}

// Prepare looks at the snapshot and the destinations and returns the plan,
// changing nothing. An --include that matches nothing in any file-tree
// source is an error listing their top-level entries.
func Prepare(ctx context.Context, req Request) (*Plan, error) {
	if req.reader() == nil || req.Snapshot == nil {
		return nil, fmt.Errorf("restore: no repository or snapshot")
	}
	if req.To != "" && !IsConnection(req.To) {
		abs, err := filepath.Abs(req.To)
		if err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		req.To = abs
	}
	if err := checkGlobals(req); err != nil {
		return nil, err
	}
	p := &Plan{Snapshot: req.Snapshot.ID, Repository: req.reader().Location(), Sources: []*SourcePlan{}, req: req}
	var noMatch []string
	filtered := 0
	for _, s := range req.Sources {
		sp, err := prepareSource(ctx, req, s)
		if err != nil {
			return nil, err
		}
		var nm *provider.NoMatchError
		if errors.As(sp.err, &nm) {
			sp.Skipped, sp.Error, sp.err = "nothing matches --include", "", nil
			noMatch = append(noMatch, fmt.Sprintf("%s has %s", s.Key, strings.Join(nm.Top, ", ")))
		}
		if len(req.Include) > 0 && filterable(s.Impl) {
			filtered++
		}
		p.Sources = append(p.Sources, sp)
	}
	if len(req.Include) > 0 && filtered == 0 && len(req.Sources) > 0 {
		return nil, fmt.Errorf("restore: --include applies to file trees only, and snapshot %s restores none", req.Snapshot.ID)
	}
	if filtered > 0 && len(noMatch) == filtered {
		return nil, fmt.Errorf("restore: --include %s matches nothing in snapshot %s (%s)",
			strings.Join(req.Include, " "), req.Snapshot.ID, strings.Join(noMatch, "; "))
	}
	return p, nil
}

// checkGlobals refuses --globals when no restored source honours it: a
// restore must not quietly do less than was asked.
func checkGlobals(req Request) error {
	if !req.Globals {
		return nil
	}
	keys := make([]string, 0, len(req.Sources))
	for _, s := range req.Sources {
		if g, ok := s.Impl.(provider.GlobalsRestorer); ok && g.CanRestoreGlobals() {
			return nil
		}
		keys = append(keys, s.Key)
	}
	return fmt.Errorf("restore: --globals applies to postgres sources only, and this restore of snapshot %s has none "+
		"(it restores %s); drop --globals or name a postgres source with --source", req.Snapshot.ID, strings.Join(keys, ", "))
}

func filterable(s provider.Source) bool {
	f, ok := s.(provider.Filterable)
	return ok && f.CanFilter()
}

// prepareSource plans one source. Its own failures go into the SourcePlan;
// the error is for mistakes in the request.
func prepareSource(ctx context.Context, req Request, s Source) (*SourcePlan, error) {
	sm := req.Snapshot.Source(s.Key)
	if sm == nil {
		return nil, fmt.Errorf("restore: snapshot %s has no source %s", req.Snapshot.ID, s.Key)
	}
	sp := &SourcePlan{Key: s.Key, Type: sm.Type, Files: sm.Files, Bytes: sm.Bytes, Rows: sm.Rows,
		Tables: sm.Tables, Changes: []Change{}, src: s.Impl,
		opts: provider.RestoreOptions{To: req.To, Include: req.Include, Database: req.Database, Tables: req.Tables,
			Flush: req.Flush, Globals: req.Globals, Buckets: req.Buckets, ToBucket: req.ToBucket}}
	sp.Destination = req.To
	if req.ToBucket != "" {
		sp.Destination = "bucket " + req.ToBucket + " (" + sm.Identity + ")"
	}
	if sp.Destination == "" {
		sp.Destination = "in place (" + sm.Identity + ")"
		if len(req.Buckets) > 0 {
			sp.Destination = "in place, only bucket(s) " + strings.Join(req.Buckets, ", ") + " (" + sm.Identity + ")"
		}
	}
	if len(req.Include) > 0 && !filterable(s.Impl) {
		if req.Named {
			return nil, fmt.Errorf("restore: --include applies to file trees only; %s is a %s source and cannot be filtered", s.Key, sm.Type)
		}
		sp.Skipped = "--include applies to file trees only"
		return sp, nil
	}
	tree, err := req.reader().Tree(ctx, req.Snapshot, s.Key)
	if err != nil {
		sp.fail(err)
		return sp, nil
	}
	sp.tree = tree
	changes, err := s.Impl.PlanRestore(ctx, tree, sp.opts)
	if err != nil {
		sp.fail(err)
		return sp, nil
	}
	for _, c := range changes {
		sp.add(c)
	}
	return sp, nil
}

func (sp *SourcePlan) fail(err error) {
	sp.err = err
	sp.Error = err.Error()
}

func (sp *SourcePlan) add(c provider.Change) {
	sp.Changes = append(sp.Changes, Change{Action: c.Action, What: c.What,
		Snapshot: c.Snapshot, Current: c.Current, Detail: c.Detail, Part: c.Part})
	if c.Part {
		return
	}
	switch c.Action {
	case "create":
		sp.Create++
	case "replace":
		sp.Replace++
	case "delete":
		sp.Delete++
	case "unchanged":
		sp.Unchanged++
	case "drop":
		sp.Drop++
	}
}
