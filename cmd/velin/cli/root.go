package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// Version is velin's version, recorded in every snapshot manifest.
const Version = "0.1.0"

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
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if !ee.reported && ee.err != nil {
			fmt.Fprintln(env.Stderr, "Error: "+g.redact(ee.err.Error()))
		}
		return ee.code
	}
	fmt.Fprintln(env.Stderr, "Error: "+g.redact(err.Error()))
	return codeFor(err)
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
	root := &cobra.Command{
		Use:   "velin",
		Short: "Declarative backup, restore and rollback",
		Long: `velin backs up what an HCL plan describes (file trees, SQLite databases, …)
into an encrypted, deduplicated repository, and restores it.

velin plan shows what will happen; velin apply does it.

Exit codes: 0 success, 1 error, 2 changes present (plan -detailed-exitcode).`,
		Example: `  velin init
  velin plan
  velin apply -auto-approve
  velin backup list`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	g.AddFlags(root.PersistentFlags())
	root.AddCommand(
		newInitCommand(g), newValidateCommand(g), newPlanCommand(g), newApplyCommand(g),
		newGraphCommand(g), newVersionCommand(g), newBackupCommand(g),
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
	redactor interface{ String(string) string }
}

// AddFlags registers the global flags.
func (g *globalOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&g.Path, "file", "f", "", "configuration file or directory (default: velin.hcl and *.velin.hcl in the current directory)")
	fs.StringArrayVar(&g.Vars, "var", nil, "set a variable: -var 'name=value' (repeatable)")
	fs.StringArrayVar(&g.VarFiles, "var-file", nil, "read variables from an HCL file (repeatable)")
	fs.BoolVar(&g.JSON, "json", false, "print machine-readable JSON")
}

func (g *globalOptions) redact(s string) string {
	if g.redactor == nil {
		return s
	}
	return g.redactor.String(s)
}
