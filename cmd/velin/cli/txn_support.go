package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/apply"
	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/txn"
	"github.com/velinhq/velin/engine/workspace"
)

// Exit codes of the transaction commands (docs/cli.md): 3 and 4 mean
// there what they say here.
const (
	exitRolledBack = 3 // rolled back (recover, the watchdog; a commit that came too late)
	exitRefused    = 4 // refused: a transaction is open, a commit came too late
)

// annotationNoRecover marks the commands that do not look for
// transactions to recover before they run (the watchdog, recover itself).
const annotationNoRecover = "velin/no-recover"

// stateDir is $VELIN_STATE_DIR, default /var/lib/velin.
func (g *globalOptions) stateDir() string {
	if d := g.getenv("VELIN_STATE_DIR"); d != "" {
		return d
	}
	return "/var/lib/velin"
}

// txManager is the transaction manager of this host's journal. The
// workspaces it loads for the watchdog and recovery are closed by the
// returned function.
func (g *globalOptions) txManager() (*txn.Manager, func()) {
	host, _ := os.Hostname()
	var opened []*workspace.Workspace
	g.txOpened = &opened
	m := &txn.Manager{
		Journal: txn.Journal{Dir: filepath.Join(g.stateDir(), "journal")},
		Now:     g.env.Clock, BootID: txn.BootID(g.getenv), Host: host, PID: os.Getpid(), Version: Version,
		Open: func(ctx context.Context, b txn.Record) (txn.Target, error) {
			ws, tg, err := g.openRecorded(ctx, b)
			if ws != nil {
				opened = append(opened, ws)
			}
			return tg, err
		},
		Log: func(msg string) {
			g.errf("%s velin: %s\n", g.env.Clock().UTC().Format(time.RFC3339), msg)
		},
	}
	return m, func() {
		for _, ws := range opened {
			ws.Close()
		}
	}
}

// openRecorded loads the plan a transaction recorded (its variables come
// from the environment, VELIN_VAR_*) and opens its deployment.
func (g *globalOptions) openRecorded(ctx context.Context, b txn.Record) (*workspace.Workspace, txn.Target, error) {
	if b.Plan == nil {
		return nil, nil, errors.New("the begin record names no plan")
	}
	g2, ws, d, err := g.loadRecorded(*b.Plan, b.Deployment)
	if d == nil {
		return ws, nil, err
	}
	tg, err := g2.txTarget(ctx, ws, d)
	return ws, tg, err
}

// loadRecorded loads a recorded plan (its variables come from the
// environment, VELIN_VAR_*) and finds its deployment block; the returned
// options are g's for that plan. ws is nil only when loading failed.
func (g *globalOptions) loadRecorded(ref txn.PlanRef, deployment string) (*globalOptions, *workspace.Workspace, *config.Deployment, error) {
	g2 := *g
	g2.Path, g2.VarFiles, g2.Vars, g2.onLoad = cmpOr(ref.File, ref.Dir), ref.VarFiles, nil, nil
	ws, err := g2.load()
	if err != nil {
		return &g2, nil, nil, fmt.Errorf("load the plan %s: %w", g2.Path, err)
	}
	d, ok := ws.Config.Deployments["deployment."+deployment]
	if !ok {
		return &g2, ws, nil, fmt.Errorf("the plan %s has no deployment %q any more", g2.Path, deployment)
	}
	return &g2, ws, d, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// planRef is where this command's plan is, for the watchdog and recovery.
func (g *globalOptions) planRef() (txn.PlanRef, error) {
	dir, err := os.Getwd()
	if err != nil {
		return txn.PlanRef{}, err
	}
	ref := txn.PlanRef{Dir: dir}
	if g.Path != "" {
		ref.File, _ = filepath.Abs(g.Path)
	}
	for _, f := range g.VarFiles {
		abs, _ := filepath.Abs(f)
		ref.VarFiles = append(ref.VarFiles, abs)
	}
	return ref, nil
}

// pickDeployment is the deployment block named name, or the only one.
func pickDeployment(ws *workspace.Workspace, name string) (*config.Deployment, error) {
	var names []string
	for _, d := range ws.Config.Deployments {
		names = append(names, d.Name)
	}
	sort.Strings(names)
	if name != "" {
		if d, ok := ws.Config.Deployments["deployment."+name]; ok {
			return d, nil
		}
		return nil, fmt.Errorf("no deployment block %q (known: %s)", name, strings.Join(names, ", "))
	}
	if len(names) != 1 {
		return nil, fmt.Errorf("the configuration has %d deployment blocks (%s): choose one with --deployment NAME",
			len(names), strings.Join(names, ", "))
	}
	return ws.Config.Deployments["deployment."+names[0]], nil
}

// armWatchdog starts `velin rollback watchdog --tx ID` detached. -var
// values reach it as VELIN_VAR_* in its environment, never in its argv.
func (g *globalOptions) armWatchdog(ctx context.Context, t *txn.Tx) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	env := slices.DeleteFunc(slices.Clone(g.env.Environ), func(kv string) bool {
		return strings.HasPrefix(kv, txn.ReadyFDEnv+"=")
	})
	for _, v := range g.Vars {
		if k, val, ok := strings.Cut(v, "="); ok {
			env = append(env, "VELIN_VAR_"+strings.TrimSpace(k)+"="+val)
		}
	}
	argv := []string{exe, "rollback", "watchdog", "--tx", t.ID()}
	return txn.Spawn(ctx, argv, env, t.Begin().Plan.Dir, t.WatchdogLog(), 10*time.Second)
}

// recoverAtStart runs recoverHost before cmd, unless cmd is marked
// annotationNoRecover. Problems are warnings: the command runs anyway.
func (g *globalOptions) recoverAtStart(cmd *cobra.Command) {
	for c := cmd; c != nil; c = c.Parent() {
		if c.Annotations[annotationNoRecover] != "" {
			return
		}
	}
	g.recoverHost(cmd.Context(), g.warn)
}

// recoverHost finishes or undoes the to-versions a crash interrupted on
// this host (recoverOrigins), then rolls back the transactions that need
// it (deadline passed, watchdog gone, machine rebooted), telling warn
// what it did. It costs two directory listings (and a stat per deployment
// switched here) when there is nothing to do.
func (g *globalOptions) recoverHost(ctx context.Context, warn func(string)) {
	deps, err := g.recoverOrigins(ctx)
	if err != nil {
		warn("deployment recovery: " + err.Error())
	}
	for _, r := range deps {
		warn("deployment " + r.Deployment + ": " + recoveryText(r))
	}
	m, closeAll := g.txManager()
	defer closeAll()
	m.Log = nil
	outs, err := m.Recover(ctx)
	if err != nil {
		warn("transaction recovery: " + err.Error())
	}
	for _, o := range outs {
		warn(fmt.Sprintf("transaction %s of deployment %s: %s: %s", o.TxID, o.Deployment, o.Why, outcomeText(o)))
		if t, err := m.Latest(o.Deployment); err == nil && t != nil && t.ID() == o.TxID {
			g.notifyRollback(ctx, o, t)
		}
	}
}

func outcomeText(o txn.Outcome) string {
	if o.Err != nil {
		return "rollback FAILED: " + o.Err.Error() + " (retry with `velin rollback rollback`)"
	}
	return "rolled back"
}

// txError maps the transaction errors to their exit codes.
func txError(err error) error {
	if errors.Is(err, txn.ErrRefused) {
		return &exitError{code: exitRefused, err: err}
	}
	return err
}

// txBackup runs the backup block addr (transaction.backup) the way `backup
// create` does and returns the id of the snapshot it committed.
func (g *globalOptions) txBackup(ctx context.Context, ws *workspace.Workspace, addr string) (string, error) {
	sel := selectionFlags{Backups: []string{strings.TrimPrefix(addr, "backup.")}}
	p, err := makePlan(ctx, g, ws, sel, "")
	if err != nil {
		return "", err
	}
	if errs := p.Errors(); len(errs) > 0 {
		return "", fmt.Errorf("%s: %s", addr, strings.Join(errs, "; "))
	}
	gr, err := g.build(ws, sel.selection())
	if err != nil {
		return "", err
	}
	var log io.Writer = redactWriter(g, g.env.Stderr)
	if g.JSON || g.Quiet {
		log = io.Discard
	}
	report, err := apply.Run(ctx, ws, gr, apply.Options{Parallelism: 4, Plan: p, Log: log})
	if err == nil {
		err = report.PartialError()
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", addr, err)
	}
	if len(report.Snapshots) == 0 {
		return "", fmt.Errorf("%s committed no snapshot", addr)
	}
	return report.Snapshots[0].ID, nil
}
