package postgres

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"

	"github.com/velinhq/velin/providers/childproc"
)

// command makes a child process that never outlives velin (childproc).
func command(ctx context.Context, path string, env []string, args ...string) *exec.Cmd {
	return childproc.Command(ctx, path, env, args...)
}

// tail keeps the last bytes written to it (a child's stderr).
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailBytes = 8 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*tailBytes {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-tailBytes:]...)
	}
	return len(p), nil
}

// text is the last lines, the password masked before cutting.
func (t *tail) text(password string) string {
	t.mu.Lock()
	s := string(t.buf)
	t.mu.Unlock()
	if password != "" {
		s = strings.ReplaceAll(s, password, "***")
	}
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	out := strings.Join(lines, "; ")
	if len(out) > 1000 {
		out = "…" + out[len(out)-1000:]
	}
	return out
}

// exitError describes a failed child: its exit and its stderr's tail.
func exitError(name string, err error, ctx context.Context, stderr *tail, password string) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", name, ctx.Err())
	}
	msg := stderr.text(password)
	if msg == "" {
		return fmt.Errorf("%s: %v", name, err)
	}
	return fmt.Errorf("%s: %v: %s", name, err, msg)
}

// output runs a short child and returns its stdout.
func output(ctx context.Context, path string, env []string, password string, args ...string) ([]byte, error) {
	cmd := command(ctx, path, env, args...)
	var out bytes.Buffer
	stderr := &tail{}
	cmd.Stdout, cmd.Stderr = &out, stderr
	if err := cmd.Run(); err != nil {
		return nil, exitError(path, err, ctx, stderr, password)
	}
	return out.Bytes(), nil
}
