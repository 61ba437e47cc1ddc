package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// commandTimeout bounds stop, start and migration commands: the health
// timeout, or 30s without a health block.
func (d *Deployer) commandTimeout() time.Duration {
	if d.cfg.Health != nil {
		return d.cfg.Health.Timeout
	}
	return 30 * time.Second
}

// run runs argv in root with the command timeout. The command gets its own
// process group, killed whole when the timeout passes, so a hung command
// never outlives it. out, when not nil, also receives stdout.
func (d *Deployer) run(ctx context.Context, what string, argv []string, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, d.commandTimeout())
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = d.cfg.Root, d.opts.Env
	cmd.Stdout, cmd.Stderr = d.opts.Stdout, d.opts.Stderr
	if out != nil {
		cmd.Stdout = out
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("%s: %s did not finish within %s (killed)", what, argv[0], d.commandTimeout())
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return fmt.Errorf("%s: %s exited with code %d", what, argv[0], exit.ExitCode())
	}
	if err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// output runs argv and returns its trimmed standard output.
func (d *Deployer) output(ctx context.Context, what string, argv []string) (string, error) {
	var buf bytes.Buffer
	if err := d.run(ctx, what, argv, &buf); err != nil {
		return "", err
	}
	return strings.TrimSpace(buf.String()), nil
}

// expand replaces "{version}" in every argument.
func expand(argv []string, version string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = strings.ReplaceAll(a, "{version}", version)
	}
	return out
}
