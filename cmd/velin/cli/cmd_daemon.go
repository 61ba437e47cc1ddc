package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/daemon"
	"github.com/velinhq/velin/engine/workspace"
)

type daemonOptions struct {
	Listen      string
	AllowAny    bool
	LogFormat   string
	Grace       time.Duration
	StateFile   string
	Parallelism int
}

func (o *daemonOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.Listen, "listen", "127.0.0.1:9810", "address of /healthz and /metrics (loopback only, unless --allow-non-loopback; empty: none)")
	f.BoolVar(&o.AllowAny, "allow-non-loopback", false, "let --listen use an address outside 127.0.0.0/8 and ::1 (the endpoints have no authentication)")
	f.StringVar(&o.LogFormat, "log-format", "text", "log format: text or json")
	f.DurationVar(&o.Grace, "grace", daemon.DefaultGrace, "on SIGTERM or SIGINT, how long running backups may finish before they are abandoned")
	f.StringVar(&o.StateFile, "state", "", "the state file of last runs (default $VELIN_STATE_DIR/daemon.json, /var/lib/velin/daemon.json)")
	f.IntVar(&o.Parallelism, "parallelism", 4, "how many actions of one backup may run at once")
}

func newDaemonCommand(g *globalOptions) *cobra.Command {
	o := &daemonOptions{}
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run the plan's scheduled backups until stopped",
		Long: `Daemon runs every backup block that has a schedule ("15 5 * * *" with
schedule_timezone, or "every 6h") as 'velin apply -auto-approve -backup NAME'
would, with the block's jitter, never two runs of one backup at once, and its
missed policy after downtime (run_once or skip; last runs are kept in the
state file). It logs to stderr (--log-format text or json) and serves
/healthz and /metrics on --listen (docs/operations.md).

SIGHUP reloads the plan; a plan with errors is logged and the old one kept.
At start and on each reload the plan first gets the recovery every command
runs before its work (interrupted to-versions finished or undone, expired
transactions rolled back), logged as warnings.
SIGTERM or SIGINT stop scheduling, let running backups finish for --grace,
then abandon them (an unfinished snapshot is never visible).

Exit codes: 0 stopped by a signal, 1 the plan, the listen address or the
state file was refused at start.`,
		Example: `  velin daemon
  velin daemon -f /etc/velin --log-format json --listen 127.0.0.1:9810
  kill -HUP $(pidof velin)    # reload the plan`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDaemon(cmd.Context(), g, o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runDaemon(ctx context.Context, g *globalOptions, o *daemonOptions) error {
	log, err := daemonLogger(g.env.Stderr, o.LogFormat)
	if err != nil {
		return err
	}
	ln, err := daemonListen(o)
	if err != nil {
		return err
	}
	load := func() (*workspace.Workspace, hcl.Diagnostics) { return g.loadDiags() }
	ws, jobs, err := daemon.Load(load)
	if err != nil {
		closeListener(ln)
		return err
	}
	plans := &daemon.Plans{Log: log, Parallelism: o.Parallelism, Prepare: g.daemonRecovery(log)}
	plans.Prepare(ctx, ws)
	plans.Set(ws)
	defer plans.Close()
	metrics := daemon.NewMetrics()
	s := daemon.New(daemon.Options{Run: plans.Run, StatePath: o.statePath(g), Log: log, Grace: o.Grace, Metrics: metrics})
	if ln != nil {
		go func() {
			if err := daemon.Serve(ctx, ln, daemon.Handler(s, metrics)); err != nil {
				log.Error("http server stopped", "error", err)
			}
		}()
		log.Info("serving /healthz and /metrics", "address", ln.Addr().String())
	}
	go reloadOnHangup(ctx, plans, s, load, log)
	return s.Run(ctx, jobs)
}

// reloadOnHangup reloads the plan on each SIGHUP until ctx ends.
func reloadOnHangup(ctx context.Context, plans *daemon.Plans, s *daemon.Scheduler, load daemon.Loader, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		if err := plans.Reload(ctx, s, load); err != nil {
			log.Error("reload refused: the previous plan stays", "error", err.Error())
			continue
		}
		log.Info("plan reloaded")
	}
}

func daemonLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("daemon: --log-format must be text or json, not %q", format)
}

// daemonListen checks --listen and listens (nil: no endpoint).
func daemonListen(o *daemonOptions) (net.Listener, error) {
	if o.Listen == "" {
		return nil, nil
	}
	if err := daemon.CheckListen(o.Listen, o.AllowAny); err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	return ln, nil
}

func closeListener(ln net.Listener) {
	if ln != nil {
		_ = ln.Close()
	}
}

func (o *daemonOptions) statePath(g *globalOptions) string {
	if o.StateFile != "" {
		return o.StateFile
	}
	return filepath.Join(g.stateDir(), "daemon.json")
}

// daemonRecovery is the daemon's daemon.Plans.Prepare: on the plan at
// start and on each plan a SIGHUP reloads, the recovery every command runs
// before its work (recoverHost: to-versions interrupted on this host,
// transactions to roll back) and a resume of each of the plan's
// deployments' journals (recoverDeployments), logged as warnings.
func (g *globalOptions) daemonRecovery(log *slog.Logger) func(ctx context.Context, ws *workspace.Workspace) {
	warn := func(msg string) { log.Warn("recovery", "detail", g.redact(msg)) }
	return func(ctx context.Context, ws *workspace.Workspace) {
		g.recoverHost(ctx, warn)
		g.recoverDeployments(ctx, ws, warn)
	}
}
