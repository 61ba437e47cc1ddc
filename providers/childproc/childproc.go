package childproc

import (
	"context"
	"os/exec"
	"syscall"
	"time"
)

// Command is exec.CommandContext with env set, the child in its own
// process group, the group killed when ctx ends (then Wait gives up on its
// pipes after 5 s), and, on Linux, the child killed when velin dies.
func Command(ctx context.Context, path string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = env
	cmd.SysProcAttr = attr()
	cmd.Cancel = func() error { return KillGroup(cmd) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// KillGroup kills cmd's whole process group; nil when it never started.
func KillGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
