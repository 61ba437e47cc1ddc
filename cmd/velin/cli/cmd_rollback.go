package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/deploy"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
)

const rollbackExitCodes = `
Exit codes:
  0  done
  1  error (nothing changed when it says so: unknown version, empty label,
     root not writable, current not a symlink velin made)
  3  rolled back automatically: the new release failed (stop, start or its
     health check) and the release that ran before was put back
  4  refused (a transaction is open, a commit came too late)`

// newRollbackCommand is the `velin rollback` group: versions, snapshots and
// to-version here; the transaction commands come from rollbackTxCommands.
func newRollbackCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Versions, snapshots and rollbacks of deployments",
		Long: `Store a deployment's artifacts as versions, list them, deploy one with a
health gate and an automatic return, and wrap a deployment in a transaction
that rolls back by itself (docs/deployments.md).

With more than one deployment block, every command takes --deployment NAME.
` + rollbackExitCodes,
		Example: `  velin rollback create-version "v1.2.0 - Feature X Release"
  velin rollback list
  velin rollback to-version v1.1.9`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newCreateVersionCommand(g, deploy.KindVersion), newCreateVersionCommand(g, deploy.KindSnapshot),
		newRollbackListCommand(g), newToVersionCommand(g), newPinCommand(g), newReleaseHoldCommand(g))
	// The transaction commands (begin, commit, rollback, status, recover): cmd_rollback_tx.go.
	cmd.AddCommand(rollbackTxCommands(g)...)
	return cmd
}

// deployOptions are the flags every deployment command has.
type deployOptions struct {
	Deployment string
}

func (o *deployOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.Deployment, "deployment", "", "the deployment block (required with more than one)")
}

// deployer opens the deployment block d of ws with the CLI's output: steps
// on stderr, the commands' output on stderr, secrets masked. State lives in
// root/.velin, or $VELIN_STATE_DIR/deployments/<name> when that is set.
func (g *globalOptions) deployer(ws *workspace.Workspace, d *config.Deployment) (*deploy.Deployer, error) {
	opts := deploy.Options{
		Repo: func(ctx context.Context, create bool) (*repo.Repository, error) {
			return ws.Repo(ctx, d.Target.Addr, create)
		},
		PlanDir: ws.Config.Dir, Clock: g.env.Clock, Env: g.env.Environ,
		Stdout: redactWriter(g, g.env.Stderr), Stderr: redactWriter(g, g.env.Stderr),
	}
	if !g.Quiet {
		opts.Log = func(msg string) { g.errf("velin: %s: %s\n", d.Name, msg) }
	}
	if dir := g.getenv("VELIN_STATE_DIR"); dir != "" {
		opts.StateDir = filepath.Join(dir, "deployments", d.Name)
	}
	opts.Origins = g.origins()
	if ref, err := g.planRef(); err == nil {
		opts.Plan, _ = json.Marshal(ref)
	}
	return deploy.Open(d, opts)
}

// withDeployer loads the plan (which finishes or undoes a to-version a
// crash interrupted: deploy_recover.go), picks the deployment and opens it.
func withDeployer(g *globalOptions, o *deployOptions, fn func(ctx context.Context, ws *workspace.Workspace, dp *deploy.Deployer) error) func(context.Context) error {
	return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
		d, err := pickDeployment(ws, o.Deployment)
		if err != nil {
			return err
		}
		dp, err := g.deployer(ws, d)
		if err != nil {
			return err
		}
		return deployError(fn(ctx, ws, dp))
	})
}

// deployError gives a return to the previous release exit code 3.
func deployError(err error) error {
	if _, ok := asRolledBack(err); ok {
		return &exitError{code: exitRolledBack, err: err}
	}
	return err
}

// asRolledBack is err's *deploy.RolledBackError, if any.
func asRolledBack(err error) (*deploy.RolledBackError, bool) {
	var rb *deploy.RolledBackError
	ok := errors.As(err, &rb)
	return rb, ok
}

func newCreateVersionCommand(g *globalOptions, kind string) *cobra.Command {
	o := &deployOptions{}
	var version string
	use, short, example := "create-version LABEL", "Store the deployment's artifacts as a version",
		`  velin rollback create-version "v1.2.0 - Feature X Release"
  velin rollback create-version "nightly build" --version 2026.12.02`
	if kind == deploy.KindSnapshot {
		use, short, example = "create-snapshot LABEL", "Store the artifacts and the config paths under a generated id",
			`  velin rollback create-snapshot "Pre-Upgrade Snapshot"`
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long: short + `. The version is the label's text before " - " unless --version
sets it; the checksums, the git commit (when the plan is in a git work tree),
the schema version and the migration files shipped are recorded with it.
Stored versions are deduplicated with everything in the target's repository.
` + rollbackExitCodes,
		Example: example,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDeployer(g, o, func(ctx context.Context, ws *workspace.Workspace, dp *deploy.Deployer) error {
				return runCreateVersion(ctx, g, dp, kind, args[0], version)
			})(cmd.Context())
		},
	}
	o.AddFlags(cmd)
	if kind == deploy.KindVersion {
		cmd.Flags().StringVar(&version, "version", "", "the version (default: the label's text before \" - \")")
	}
	return cmd
}

func runCreateVersion(ctx context.Context, g *globalOptions, dp *deploy.Deployer, kind, label, version string) error {
	if kind == deploy.KindVersion {
		var err error
		if version, err = deploy.ParseLabel(label, version); err != nil {
			return fmt.Errorf("create-version: %w", err)
		}
	}
	v, err := dp.CreateVersion(ctx, label, version, kind)
	if err != nil {
		return err
	}
	if g.JSON {
		return g.printJSON(v)
	}
	g.out("Stored %s %s of deployment %s (%s, %s newly stored, %s)\n", v.Kind, v.Version, dp.Name(),
		bytesize.Format(v.Bytes), bytesize.Format(v.StoredBytes), v.Checksum)
	return nil
}

func newRollbackListCommand(g *globalOptions) *cobra.Command {
	o := &deployOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List versions and snapshots, newest first, with current, previous, pinned and bad markers",
		Long: `List the deployment's stored versions and snapshots, newest first, with
their label, time, kind and markers: current, previous, pinned, bad.
` + rollbackExitCodes,
		Example: `  velin rollback list
  velin rollback list --deployment api --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDeployer(g, o, func(ctx context.Context, ws *workspace.Workspace, dp *deploy.Deployer) error {
				return runRollbackList(ctx, g, dp)
			})(cmd.Context())
		},
	}
	o.AddFlags(cmd)
	return cmd
}

// listedVersion is one row of `rollback list --json`.
type listedVersion struct {
	deploy.Version
	Markers []string `json:"markers"`
}

func runRollbackList(ctx context.Context, g *globalOptions, dp *deploy.Deployer) error {
	vs, err := dp.Versions(ctx)
	if err != nil {
		return err
	}
	marks, err := deploymentMarkers(ctx, dp)
	if err != nil {
		return err
	}
	rows := make([]listedVersion, 0, len(vs))
	for _, v := range vs {
		rows = append(rows, listedVersion{Version: v, Markers: marks[v.Version]})
	}
	if g.JSON {
		return g.printJSON(rows)
	}
	var table_ [][]string
	for _, r := range rows {
		table_ = append(table_, []string{r.Version.Version, r.Kind, r.Time.Local().Format(timeFormat),
			strings.Join(r.Markers, ","), r.Label})
	}
	if len(table_) == 0 {
		g.out("No versions of deployment %s yet: run `velin rollback create-version LABEL`.\n", dp.Name())
		return nil
	}
	return table(redactWriter(g, g.env.Stdout), []string{"VERSION", "KIND", "TIME", "MARKERS", "LABEL"}, table_)
}

// deploymentMarkers maps each version to its markers.
func deploymentMarkers(ctx context.Context, dp *deploy.Deployer) (map[string][]string, error) {
	cur, err := dp.Current(ctx)
	if err != nil {
		return nil, err
	}
	s, err := dp.State()
	if err != nil {
		return nil, err
	}
	m := map[string][]string{}
	if cur.Version != "" {
		m[cur.Version] = append(m[cur.Version], "current")
	}
	if s.Previous != "" {
		m[s.Previous] = append(m[s.Previous], "previous")
	}
	for _, p := range s.Pinned {
		m[p] = append(m[p], "pinned")
	}
	for b := range s.Bad {
		m[b] = append(m[b], "bad")
	}
	return m, nil
}

func newToVersionCommand(g *globalOptions) *cobra.Command {
	o := &deployOptions{}
	cmd := &cobra.Command{
		Use:   "to-version VERSION",
		Short: "Deploy a stored version: stop, migrate down, switch, start, wait for health",
		Long: `Deploy a stored version (or snapshot): its release is put on disk under
root/releases/VERSION when missing, then the running release is stopped, the
schema migrated down to the version recorded with VERSION (with the running
release's migration files, before it is switched away), current switched
atomically, the service started and its health awaited. When stop, start or
the health check fails, the release that ran before is put back and started,
VERSION is marked bad and the command exits with code 3.
` + rollbackExitCodes,
		Example: `  velin rollback to-version v1.1.9
  velin rollback to-version v1.1.9 --deployment api --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDeployer(g, o, func(ctx context.Context, ws *workspace.Workspace, dp *deploy.Deployer) error {
				return runToVersion(ctx, g, ws, dp, args[0])
			})(cmd.Context())
		},
	}
	o.AddFlags(cmd)
	return cmd
}

// toVersionJSON is the result of to-version and apply -deployment.
type toVersionJSON struct {
	Deployment string `json:"deployment"`
	Version    string `json:"version"`
	Status     string `json:"status"` // "deployed" or "rolled_back"
	Current    string `json:"current"`
	Failed     string `json:"failed,omitempty"`
	State      string `json:"state,omitempty"`
}

func runToVersion(ctx context.Context, g *globalOptions, ws *workspace.Workspace, dp *deploy.Deployer, version string) error {
	started := g.env.Clock().UTC()
	before, _ := dp.Current(ctx)
	err := dp.Switch(ctx, version)
	if before.Version != version || err != nil { // nothing to tell when it was current already
		g.notifySwitch(ctx, ws, dp.Config(), version, started, err)
	}
	rb, _ := asRolledBack(err)
	if err != nil && rb == nil {
		return err
	}
	res := toVersionJSON{Deployment: dp.Name(), Version: version, Status: "deployed"}
	if cur, cerr := dp.Current(ctx); cerr == nil {
		res.Current = cur.Version
	}
	if rb != nil {
		res.Status, res.Failed, res.State = "rolled_back", rb.Failed, rb.State
	}
	switch {
	case g.JSON:
		if perr := g.printJSON(res); perr != nil {
			return perr
		}
	case rb == nil:
		g.out("Deployment %s: %s is current and healthy.\n", dp.Name(), version)
	}
	return err
}

func newPinCommand(g *globalOptions) *cobra.Command {
	o := &deployOptions{}
	var unpin bool
	cmd := &cobra.Command{
		Use:   "pin VERSION",
		Short: "Pin a release so that keep never deletes it (--unpin to undo)",
		Long:  "Pin a release so that keep never deletes it from root/releases.\n" + rollbackExitCodes,
		Example: `  velin rollback pin v1.1.9
  velin rollback pin v1.1.9 --unpin`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDeployer(g, o, func(ctx context.Context, ws *workspace.Workspace, dp *deploy.Deployer) error {
				if _, err := dp.Find(ctx, args[0]); err != nil {
					return err
				}
				return dp.Pin(args[0], !unpin)
			})(cmd.Context())
		},
	}
	o.AddFlags(cmd)
	cmd.Flags().BoolVar(&unpin, "unpin", false, "remove the pin")
	return cmd
}
