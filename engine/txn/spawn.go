package txn

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// ReadyFDEnv names the environment variable that tells a spawned watchdog
// which file descriptor to write "ready" on.
const ReadyFDEnv = "VELIN_WATCHDOG_READY_FD"

// Spawn starts argv as a detached process that outlives the caller: its
// own session (setsid: no terminal, no signal from the caller's process
// group, so a kill of the deploy script's group spares it), stdin from
// /dev/null, stdout and stderr appended to logPath (0600). It returns once
// the process wrote "ready" on the pipe given as fd 3, or fails when the
// process exits or stays silent for wait.
func Spawn(ctx context.Context, argv, env []string, dir, logPath string, wait time.Duration) (int, error) {
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return 0, fmt.Errorf("watchdog log: %w", err)
	}
	defer logf.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer pr.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(env, ReadyFDEnv+"=3")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{pw}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	pw.Close()
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", argv[0], err)
	}
	if err := awaitReady(ctx, pr, wait); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return 0, fmt.Errorf("%w; its log %s says: %s", err, logPath, tail(logPath))
	}
	pid := cmd.Process.Pid
	cmd.Process.Release()
	return pid, nil
}

// awaitReady reads the ready line from r.
func awaitReady(ctx context.Context, r *os.File, wait time.Duration) error {
	done := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		if strings.TrimSpace(line) == "ready" {
			err = nil
		} else if err == nil {
			err = fmt.Errorf("unexpected %q", line)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("the watchdog did not start (%v)", err)
		}
		return nil
	case <-time.After(wait):
		return fmt.Errorf("the watchdog did not start within %s", wait)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// tail is the last line of a log, for an error message.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// SignalReady writes "ready" on the descriptor ReadyFDEnv names, if any.
func SignalReady(getenv func(string) string) {
	if getenv(ReadyFDEnv) != "3" {
		return
	}
	f := os.NewFile(3, "ready")
	fmt.Fprintln(f, "ready")
	f.Close()
}
