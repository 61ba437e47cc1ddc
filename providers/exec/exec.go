package exec

import (
	"context"
	"errors"
	"fmt"
	osexec "os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"github.com/velinhq/velin/providers/provider"
)

// TypeName is the step type name in configurations.
const TypeName = "exec"

// DefaultTimeout applies when timeout is not set.
const DefaultTimeout = 10 * time.Minute

// tailLines is how many last lines of output an error quotes.
const tailLines = 20

// ErrTimeout means the command ran longer than its timeout.
var ErrTimeout = errors.New("timed out")

// Type is the registry entry of `step "exec"`.
func Type() provider.StepType {
	return provider.StepType{Name: TypeName, Decode: Decode}
}

type config struct {
	Command    []string          `hcl:"command"`
	Env        map[string]string `hcl:"env,optional"`
	WorkingDir string            `hcl:"working_dir,optional"`
	Timeout    string            `hcl:"timeout,optional"`
}

// Step runs one command.
type Step struct {
	Command    []string
	Env        map[string]string
	WorkingDir string // "" means StepEnv.Dir
	Timeout    time.Duration
}

// Decode decodes a `step "exec"` body.
func Decode(body hcl.Body, dc provider.DecodeContext) (provider.Step, hcl.Diagnostics) {
	var cfg config
	diags := gohcl.DecodeBody(body, dc.Eval, &cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	s := &Step{Command: cfg.Command, Env: cfg.Env, Timeout: DefaultTimeout}
	if len(cfg.Command) == 0 || cfg.Command[0] == "" {
		diags = append(diags, provider.AttrDiag(body, "command", "Invalid command",
			"command must list the program and its arguments, e.g. [\"pg_dump\", \"-f\", \"out.sql\"]."))
	}
	if sensitiveAttr(body, dc, "command") {
		diags = append(diags, provider.AttrDiag(body, "command", "Sensitive value on a command line",
			"command uses a sensitive value. Every local user can read a command line (ps), and the plan shows it. Pass the secret in the environment instead, e.g. env = { PGPASSWORD = var.db_password }, where the program reads it."))
	}
	timeout, d := provider.TimeoutArg(body, "timeout", cfg.Timeout, DefaultTimeout)
	diags = append(diags, d...)
	s.Timeout = timeout
	if cfg.WorkingDir != "" {
		s.WorkingDir = cfg.WorkingDir
		if !filepath.IsAbs(s.WorkingDir) {
			s.WorkingDir = filepath.Join(dc.Dir, s.WorkingDir)
		}
	}
	sensitiveEnv := sensitiveAttr(body, dc, "env")
	for name, value := range cfg.Env {
		if dc.Secret != nil && (sensitiveEnv || secretName(name)) {
			dc.Secret(value)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return s, diags
}

// sensitiveAttr says whether the argument name of body uses a sensitive value.
func sensitiveAttr(body hcl.Body, dc provider.DecodeContext, name string) bool {
	if dc.Sensitive == nil {
		return false
	}
	attrs, diags := body.JustAttributes()
	if diags.HasErrors() {
		return false
	}
	a, ok := attrs[name]
	return ok && dc.Sensitive(a.Expr)
}

// secretName says whether an environment variable name suggests a secret.
func secretName(name string) bool {
	up := strings.ToUpper(name)
	for _, w := range []string{"PASSWORD", "SECRET", "TOKEN", "KEY"} {
		if strings.Contains(up, w) {
			return true
		}
	}
	return false
}

// Describe implements provider.Step: the command, quoted where needed,
// and the names (never the values) of the extra environment variables.
func (s *Step) Describe() string {
	parts := make([]string, len(s.Command))
	for i, a := range s.Command {
		parts[i] = quote(a)
	}
	out := "run " + strings.Join(parts, " ")
	if len(s.Env) > 0 {
		names := make([]string, 0, len(s.Env))
		for n := range s.Env {
			names = append(names, n)
		}
		sort.Strings(names)
		out += " (env " + strings.Join(names, ", ") + ")"
	}
	return out
}

func quote(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t\n\"'\\$`*?[]{}()<>|&;#~") {
		return a
	}
	return strconv.Quote(a)
}

// Run implements provider.Step.
func (s *Step) Run(ctx context.Context, env provider.StepEnv) error {
	name := filepath.Base(s.Command[0])
	ctx, cancel := context.WithTimeoutCause(ctx, s.Timeout, ErrTimeout)
	defer cancel()
	cmd := osexec.CommandContext(ctx, s.Command[0], s.Command[1:]...)
	cmd.Dir = s.WorkingDir
	if cmd.Dir == "" {
		cmd.Dir = env.Dir
	}
	cmd.Env = stepEnv(processEnv(), s.Env)
	out := newLineWriter(env.Log, name+": ", tailLines)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	out.Flush()
	return s.result(ctx, name, err, out.Tail(env.Redact))
}

func (s *Step) result(ctx context.Context, name string, err error, tail string) error {
	if err == nil {
		return nil
	}
	if errors.Is(context.Cause(ctx), ErrTimeout) {
		return fmt.Errorf("exec %s: %w after %s", name, ErrTimeout, s.Timeout)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("exec %s: %w", name, context.Cause(ctx))
	}
	var exit *osexec.ExitError
	if errors.As(err, &exit) {
		if tail == "" {
			return fmt.Errorf("exec %s: exit code %d", name, exit.ExitCode())
		}
		return fmt.Errorf("exec %s: exit code %d; last output:\n%s", name, exit.ExitCode(), tail)
	}
	return fmt.Errorf("exec %s: %w", name, err)
}
