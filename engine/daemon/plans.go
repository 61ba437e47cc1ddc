package daemon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/velinhq/velin/engine/apply"
	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/workspace"
)

// Jobs are the scheduled backups of cfg, by name.
func Jobs(cfg *config.Config) []Job {
	var jobs []Job
	for _, b := range cfg.Backups {
		if b.Schedule != nil {
			jobs = append(jobs, Job{Name: b.Name, Schedule: b.Schedule, Missed: b.Missed, Jitter: b.Jitter})
		}
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].Name < jobs[j].Name })
	return jobs
}

// Plans holds the current plan, a loaded workspace, and runs backups on
// it. After a reload, runs under way keep the workspace they started
// with; a workspace's repositories are closed whenever no run uses them
// (so an idle daemon holds no index in memory), and a replaced workspace
// once its last run ends.
type Plans struct {
	Log         *slog.Logger
	Parallelism int // apply's -parallelism (default 4)
	// Prepare, when set, runs on every plan Reload loaded without errors,
	// before it is put in use: the recovery a velin command runs before
	// its work (to-versions and transactions a crash interrupted,
	// deployments the plan added). The caller runs it on the first plan.
	Prepare func(ctx context.Context, ws *workspace.Workspace)

	mu  sync.Mutex
	cur *generation
}

type generation struct {
	ws   *workspace.Workspace
	runs int
}

// Set makes ws the plan for the runs that start from now on.
func (p *Plans) Set(ws *workspace.Workspace) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if old := p.cur; old != nil {
		p.closeIdle(old)
	}
	p.cur = &generation{ws: ws}
}

// Close closes the current workspace.
func (p *Plans) Close() {
	p.Set(nil)
}

func (p *Plans) acquire() *generation {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == nil || p.cur.ws == nil {
		return nil
	}
	p.cur.runs++
	return p.cur
}

func (p *Plans) release(g *generation) {
	p.mu.Lock()
	defer p.mu.Unlock()
	g.runs--
	p.closeIdle(g)
}

// closeIdle closes g's repositories when no run uses them; p.mu is held.
func (p *Plans) closeIdle(g *generation) {
	if g.runs > 0 || g.ws == nil {
		return
	}
	if err := g.ws.Close(); err != nil {
		p.logger().Warn("closing repositories", "error", g.ws.Redactor.String(err.Error()))
	}
}

func (p *Plans) logger() *slog.Logger {
	if p.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Log
}

// Run runs backup name as `velin apply -auto-approve -backup NAME` does:
// graph.Build with that backup selected, then apply.Run. It is a RunFunc.
func (p *Plans) Run(ctx context.Context, name string) Outcome {
	g := p.acquire()
	if g == nil {
		return Outcome{Err: errors.New("no plan loaded")}
	}
	defer p.release(g)
	ws := g.ws
	gr, diags := graph.Build(ws.Config, graph.Selection{Backups: []string{name}})
	if diags.HasErrors() {
		return Outcome{Err: fmt.Errorf("backup %s: %s", name, ws.Redactor.String(diags.Error()))}
	}
	out := Outcome{ErrorsBy: map[string]int{}}
	logw := p.stepLog(ws, name)
	defer logw.Close()
	par := p.Parallelism
	if par < 1 {
		par = 4
	}
	report, err := apply.Run(ctx, ws, gr, apply.Options{Parallelism: par, Events: out.event, Log: logw})
	if err != nil {
		out.Err = fmt.Errorf("backup %s: %s", name, ws.Redactor.String(err.Error()))
		return out
	}
	out.Err = p.failure(ws, name, report, out.ErrorsBy)
	return out
}

// event tallies a committed snapshot's statistics and checks.
func (o *Outcome) event(e apply.Event) {
	if e.Type != "snapshot" {
		return
	}
	o.Snapshots++
	if e.Stats != nil {
		o.BytesRead += e.Stats.BytesRead
		o.BytesStored += e.Stats.BytesStored
	}
	for _, c := range e.Checks {
		if c.Status == "ok" {
			o.VerifyOK++
		} else {
			o.VerifyFailed++
		}
	}
}

// failure is the run's error, if any node failed, counting failures by
// block; it logs each failed node.
func (p *Plans) failure(ws *workspace.Workspace, name string, report *apply.Report, by map[string]int) error {
	var first error
	failed := 0
	for _, res := range report.Results {
		if res.Status != graph.StatusFailed {
			continue
		}
		failed++
		by[res.Node.Addr]++
		msg := ws.Redactor.String(fmt.Sprint(res.Err))
		p.logger().Error("action failed", "backup", name, "action", res.Node.ID, "error", msg)
		if first == nil {
			first = fmt.Errorf("%s: %s", res.Node.ID, msg)
		}
	}
	if first == nil && report.Failed() {
		first = errors.New("interrupted")
	}
	if first == nil {
		return report.PartialError()
	}
	if failed > 1 {
		return fmt.Errorf("%d actions failed, first %w", failed, first)
	}
	return first
}

// stepLog logs each line steps print, redacted.
func (p *Plans) stepLog(ws *workspace.Workspace, name string) io.WriteCloser {
	r, w := io.Pipe()
	log := p.logger()
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			log.Info("step output", "backup", name, "line", ws.Redactor.String(sc.Text()))
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	return w
}

// Loader loads the plan: workspace.Load with the command's options.
type Loader func() (*workspace.Workspace, hcl.Diagnostics)

// Load loads the plan and checks it: no errors, at least one scheduled
// backup, and every scheduled backup's graph builds. The error carries
// the diagnostics, formatted and redacted; ws is then closed.
func Load(load Loader) (*workspace.Workspace, []Job, error) {
	ws, diags := load()
	jobs := Jobs(ws.Config)
	if !diags.HasErrors() && len(jobs) == 0 {
		ws.Close()
		return nil, nil, errors.New("the plan has no backup with a schedule: add schedule = \"every 6h\" (or a cron expression) to a backup block")
	}
	for _, j := range jobs {
		if diags.HasErrors() {
			break
		}
		_, d := graph.Build(ws.Config, graph.Selection{Backups: []string{j.Name}})
		diags = append(diags, d...)
	}
	if diags.HasErrors() {
		var b strings.Builder
		_ = config.WriteDiagnostics(&b, ws.Files, diags, false)
		ws.Close()
		return nil, nil, fmt.Errorf("the plan has errors:\n%s", ws.Redactor.String(strings.TrimSpace(b.String())))
	}
	return ws, jobs, nil
}

// Reload loads the plan again and, if it is good, prepares it (Prepare),
// makes it the one runs use and gives its jobs to s. A broken plan is returned as an error and
// the old one stays.
func (p *Plans) Reload(ctx context.Context, s *Scheduler, load Loader) error {
	ws, jobs, err := Load(load)
	if err != nil {
		return err
	}
	if p.Prepare != nil {
		p.Prepare(ctx, ws)
	}
	p.Set(ws)
	return s.Reload(ctx, jobs)
}
