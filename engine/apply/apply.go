package apply

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/notify"
	"github.com/velinhq/velin/engine/plan"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
	"github.com/velinhq/velin/providers/provider"
)

// Event is a progress report, for a progress bar or `--json` output.
// Types: "start" and "done" once per node; "snapshot" when a snapshot is
// committed (with its statistics); "progress" when the counters moved.
type Event struct {
	Time       time.Time         `json:"time"`
	Type       string            `json:"type"` // "start", "done", "snapshot", "copy", "progress", "warning"
	Node       string            `json:"node,omitempty"`
	Status     string            `json:"status,omitempty"`
	Error      string            `json:"error,omitempty"`
	Message    string            `json:"message,omitempty"`
	Bytes      int64             `json:"bytes_done,omitempty"`
	Total      int64             `json:"bytes_total,omitempty"`
	Files      int64             `json:"files_done,omitempty"`
	FilesTotal int64             `json:"files_total,omitempty"`
	Snapshot   string            `json:"snapshot,omitempty"`
	Stats      *repo.BackupStats `json:"stats,omitempty"`
	// Checks are the verification results of a committed snapshot
	// ("snapshot" events of backups that verify).
	Checks []repo.Check `json:"checks,omitempty"`
}

// Options tune a run.
type Options struct {
	Parallelism int
	Strategy    string     // overrides the backups' strategy when set
	Snapshot    string     // restore: snapshot id or prefix ("" = latest)
	Destination string     // a local directory to send snapshots to instead of the target
	Plan        *plan.Plan // the plan shown to the user, for progress totals (may be nil)
	Events      func(Event)
	Log         io.Writer // step output; the caller redacts it
	// NotifyPolicy bounds the alerts sent when the run ends; zero: the
	// default (notify.DefaultPolicy).
	NotifyPolicy notify.Policy
}

// Report is what a run did.
type Report struct {
	Results   []graph.Result
	Snapshots []*repo.Manifest
	Forgotten []string
	Pruned    []*repo.PruneStats
	// Partial lists sources that were backed up with entries missing or
	// incomplete; their snapshots are committed and say so.
	Partial []*provider.Partial
	// Restores says, per restore block run, which sources were restored,
	// which failed and which were not restored.
	Restores []RestoreOutcome
}

// PartialError is the first *provider.Partial of the run (exit code 3),
// or nil.
func (r *Report) PartialError() error {
	if len(r.Partial) == 0 {
		return nil
	}
	return r.Partial[0]
}

// Failed reports whether any node failed, was skipped or was cancelled.
func (r *Report) Failed() bool {
	for _, res := range r.Results {
		if res.Status != graph.StatusOK {
			return true
		}
	}
	return false
}

// Counts tallies node statuses.
func (r *Report) Counts() map[graph.Status]int {
	out := map[graph.Status]int{}
	for _, res := range r.Results {
		out[res.Status]++
	}
	return out
}

type runner struct {
	ws   *workspace.Workspace
	opts Options

	mu       sync.Mutex
	backups  map[string]*backupRun
	restores map[string]*restoreRun
	partial  map[string]bool // blocks with a partial source, for alerts
	report   Report
}

// Run walks g. The returned error is for problems outside the nodes; node
// failures are in the report.
func Run(ctx context.Context, ws *workspace.Workspace, g *graph.Graph, opts Options) (*Report, error) {
	if opts.Parallelism < 1 {
		opts.Parallelism = 4
	}
	if opts.NotifyPolicy.Attempts == 0 {
		opts.NotifyPolicy = notify.DefaultPolicy()
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	r := &runner{ws: ws, opts: opts, backups: map[string]*backupRun{}, restores: map[string]*restoreRun{}, partial: map[string]bool{}}
	stop := r.watchProgress()
	results := g.Walk(ctx, opts.Parallelism, r.runNode)
	stop()
	r.cleanup()
	r.report.Results = results
	r.report.Restores = restoreOutcomes(results)
	r.alert(ctx, results)
	return &r.report, nil
}

func (r *runner) emit(e Event) {
	if r.opts.Events == nil {
		return
	}
	e.Time = r.ws.Now()
	e.Error = r.ws.Redactor.String(e.Error)
	e.Message = r.ws.Redactor.String(e.Message)
	r.opts.Events(e)
}

func (r *runner) runNode(ctx context.Context, n *graph.Node) error {
	r.emit(Event{Type: "start", Node: n.ID})
	err := r.dispatch(ctx, n)
	status := "ok"
	switch {
	case err != nil && ctx.Err() != nil:
		status = "cancelled"
	case err != nil:
		status = "failed"
	}
	r.emit(Event{Type: "done", Node: n.ID, Status: status, Error: errString(err)})
	return err
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (r *runner) dispatch(ctx context.Context, n *graph.Node) error {
	switch n.Kind {
	case graph.KindStep:
		return r.step(ctx, n)
	case graph.KindSource:
		return r.source(ctx, n)
	case graph.KindSnapshot:
		return r.flush(ctx, n)
	case graph.KindVerify:
		return r.verify(ctx, n)
	case graph.KindCommit:
		return r.commit(ctx, n)
	case graph.KindRetention:
		return r.retention(ctx, n)
	case graph.KindCopy:
		return r.copyTo(ctx, n)
	case graph.KindRestore:
		return r.restore(ctx, n)
	}
	return fmt.Errorf("apply: unknown node kind %q", n.Kind)
}

// cleanup aborts unfinished snapshots and releases every lock, with a
// context that a Ctrl-C has not cancelled.
func (r *runner) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.backups {
		b.close(ctx)
	}
	for _, rs := range r.restores {
		rs.close(ctx)
	}
}
