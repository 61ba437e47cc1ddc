package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/velinhq/velin/engine/workspace"
)

// Env is the world a command runs in.
type Env struct {
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
	Environ  []string
	Terminal bool // stderr is a terminal: show progress bars
	Clock    func() time.Time
}

// DefaultEnv is the process's own environment.
func DefaultEnv() Env {
	return Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Environ:  os.Environ(),
		Terminal: term.IsTerminal(int(os.Stderr.Fd())),
		Clock:    time.Now,
	}
}

// exitError carries an exit code; reported means the message was printed.
type exitError struct {
	code     int
	err      error
	reported bool
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// errReported is an error already shown to the user (diagnostics).
var errReported = &exitError{code: 1, reported: true}

// Run runs velin with args and returns the exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Clock == nil {
		env.Clock = time.Now
	}
	g := &globalOptions{env: env}
	root := newRootCommand(g)
	root.SetArgs(normalizeArgs(args))
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err, stopped := executeRoot(ctx, root, args, env)
	if stopped {
		return exitInterrupted
	}
	if err == nil {
		return exitOK
	}
	code := codeFor(err)
	var ee *exitError
	if errors.As(err, &ee) {
		if !ee.reported && ee.err != nil {
			g.reportError(ee.err, code)
		}
		return code
	}
	g.reportError(err, code)
	return code
}

// annotationStopAtOnce marks a command that changes nothing (validate, plan,
// graph): on Ctrl-C or SIGTERM velin exits at once with 130 instead of
// waiting for it to notice the cancelled context (loading a large plan
// does not look at it).
const annotationStopAtOnce = "velin/stop-at-once"

// executeRoot runs root. For a command marked annotationStopAtOnce, a cancelled
// ctx stops the wait at once: stopped is true and "interrupted" has been
// reported; the command's goroutine is left to die with the process.
func executeRoot(ctx context.Context, root *cobra.Command, args []string, env Env) (err error, stopped bool) {
	cmd, _, findErr := root.Find(normalizeArgs(args))
	if findErr != nil || cmd.Annotations[annotationStopAtOnce] == "" {
		return root.ExecuteContext(ctx), false
	}
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	select {
	case err := <-done:
		return err, false
	case <-ctx.Done():
	}
	select {
	case err := <-done:
		return err, false
	default:
	}
	jsonMode := slices.Contains(args, "--json") || slices.Contains(args, "-json")
	(&globalOptions{env: env, JSON: jsonMode}).reportError(errors.New("interrupted"), exitInterrupted)
	return nil, true
}

// stopAtOnce marks cmd with annotationStopAtOnce.
func stopAtOnce(cmd *cobra.Command) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[annotationStopAtOnce] = "true"
	return cmd
}

// normalizeArgs accepts Terraform-style single-dash long flags
// (-auto-approve, -out=plan) by turning them into --auto-approve.
func normalizeArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		name := strings.SplitN(strings.TrimPrefix(a, "-"), "=", 2)[0]
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(name) > 1 {
			a = "-" + a
		}
		out = append(out, a)
	}
	return out
}

func newRootCommand(g *globalOptions) *cobra.Command {
	var showVersion bool
	root := &cobra.Command{
		Use:   "velin",
		Short: "Declarative backup, restore and rollback",
		Long: `velin backs up what an HCL plan describes (file trees, SQLite databases, …)
into an encrypted, deduplicated repository, and restores it.

velin plan shows what will happen; velin apply does it.

Exit codes (the same on every command):
  0    success
  1    error
  2    changes present (plan -detailed-exitcode)
  3    partial: done, but something was damaged or skipped
  4    not verified: a test restore's assertion or count check failed (the snapshot is kept)
  10   repository not found
  11   repository locked
  12   wrong passphrase
  130  interrupted (Ctrl-C, SIGTERM)`,
		Example: `  velin init
  velin plan
  velin apply -auto-approve
  velin backup list
  velin --version`,
		Args: cobra.NoArgs,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if g.Quiet && g.Verbose {
				return errors.New("-q/--quiet and -v/--verbose exclude each other")
			}
			g.recoverAtStart(cmd)    // transactions left by a crash: docs/deployments.md
			g.armDeployRecovery(cmd) // to-versions left by a crash, in every plan loaded
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if showVersion {
				return g.printVersion()
			}
			return cmd.Help()
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	g.AddFlags(root.PersistentFlags())
	root.Flags().BoolVar(&showVersion, "version", false, "print the version, commit, Go version and OS/arch")
	root.AddCommand(
		newInitCommand(g), stopAtOnce(newValidateCommand(g)), stopAtOnce(newPlanCommand(g)), newApplyCommand(g),
		stopAtOnce(newGraphCommand(g)), newVersionCommand(g), newBackupCommand(g), newKeyCommand(g),
		newRollbackCommand(g), newNotifyCommand(g), newDaemonCommand(g),
	)
	return root
}

// globalOptions are the flags every command has.
type globalOptions struct {
	env      Env
	Path     string
	Vars     []string
	VarFiles []string
	JSON     bool
	Quiet    bool
	Verbose  bool
	// LockTimeout is how long a command waits for a locked repository.
	LockTimeout time.Duration
	NoCache     bool        // --no-cache: no local cache of remote repositories
	repo        repoOptions // -r PATH, on the commands that take it
	redactor    interface{ String(string) string }
	txOpened    *[]*workspace.Workspace    // the plans the transaction manager loaded (txn_support.go)
	onLoad      func(*workspace.Workspace) // run on every plan load: deployment recovery (deploy_recover.go)
}

// AddFlags registers the global flags.
func (g *globalOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&g.Path, "file", "f", "", "configuration file or directory (default: velin.hcl and *.velin.hcl in the current directory)")
	fs.StringArrayVar(&g.Vars, "var", nil, "set a variable: -var 'name=value' (repeatable)")
	fs.StringArrayVar(&g.VarFiles, "var-file", nil, "read variables from an HCL file (repeatable)")
	fs.BoolVar(&g.JSON, "json", false, "print machine-readable JSON (errors and diagnostics too, on stderr)")
	fs.BoolVarP(&g.Quiet, "quiet", "q", false, "print only results and errors: no progress, no per-action lines")
	fs.BoolVarP(&g.Verbose, "verbose", "v", false, "also print each action as it starts and per-source details")
	fs.BoolVar(&g.NoCache, "no-cache", false, "do not use the local cache of remote repositories (VELIN_CACHE_DIR, default ~/.cache/velin)")
	fs.DurationVar(&g.LockTimeout, "lock-timeout", 5*time.Minute, "how long to wait for a locked repository before failing (0: fail at once)")
}

func (g *globalOptions) redact(s string) string {
	if g.redactor == nil {
		return s
	}
	return g.redactor.String(s)
}
