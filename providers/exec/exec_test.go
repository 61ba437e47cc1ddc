package exec

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/velinhq/velin/providers/provider"
)

// logBuf is a concurrency-safe log that can react to each line.
type logBuf struct {
	mu     sync.Mutex
	b      bytes.Buffer
	onLine func(string)
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.onLine != nil {
		l.onLine(string(p))
	}
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func decode(t *testing.T, src string) (*Step, []string, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclparse.NewParser().ParseHCL([]byte(src), "test.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var secrets []string
	s, diags := Decode(f.Body, provider.DecodeContext{Dir: "/plans", Secret: func(v string) { secrets = append(secrets, v) }})
	if s == nil {
		return nil, secrets, diags
	}
	return s.(*Step), secrets, diags
}

func TestDecode(t *testing.T) {
	s, secrets, diags := decode(t, `
command = ["pg_dump", "-d", "my db"]
env = { DB_PASSWORD = "hunter2", api_token = "tok", PLAIN = "visible" }
working_dir = "work"
timeout = "30s"
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if s.WorkingDir != "/plans/work" || s.Timeout != 30*time.Second {
		t.Errorf("decoded %+v", s)
	}
	if len(secrets) != 2 || strings.Contains(strings.Join(secrets, ","), "visible") {
		t.Errorf("secrets registered: %q, want the password and the token only", secrets)
	}
	d := s.Describe()
	if !strings.Contains(d, `pg_dump -d "my db"`) || strings.Contains(d, "hunter2") || strings.Contains(d, "visible") {
		t.Errorf("describe: %s", d)
	}
	def, _, _ := decode(t, `command = ["true"]`)
	if def.Timeout != DefaultTimeout || def.WorkingDir != "" {
		t.Errorf("defaults: %+v", def)
	}
}

func TestDecodeMistakes(t *testing.T) {
	for _, bad := range []string{
		``,
		`command = []`,
		`command = [""]`,
		"command = [\"x\"]\ntimeout = \"-5s\"",
		"command = [\"x\"]\ntimeout = \"soon\"",
		"command = [\"x\"]\nenv = [\"A=1\"]",
		"command = [\"x\"]\nshell = true",
	} {
		_, _, diags := decode(t, bad)
		if !diags.HasErrors() {
			t.Errorf("%q: no diagnostic", bad)
			continue
		}
		if s := diags[0].Subject; s == nil || s.Filename != "test.hcl" {
			t.Errorf("%q: diagnostic without a range: %v", bad, diags[0])
		}
	}
}

func run(t *testing.T, s *Step, log *logBuf) error {
	t.Helper()
	return s.Run(context.Background(), provider.StepEnv{Dir: t.TempDir(), Log: log})
}

func TestRunOutputAndEnv(t *testing.T) {
	log := &logBuf{}
	s := &Step{Command: []string{"sh", "-c", `echo "v=$PLAIN"; pwd; echo err >&2; printf tail`}, Env: map[string]string{"PLAIN": "visible"}, Timeout: time.Minute}
	dir := t.TempDir()
	if err := s.Run(context.Background(), provider.StepEnv{Dir: dir, Log: log}); err != nil {
		t.Fatal(err)
	}
	want := "sh: v=visible\nsh: " + dir + "\nsh: err\nsh: tail\n"
	if log.String() != want {
		t.Errorf("log %q, want %q", log.String(), want)
	}
}

func TestRunExitCode(t *testing.T) {
	log := &logBuf{}
	s := &Step{Command: []string{"sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22; do echo line$i; done; exit 3"}, Timeout: time.Minute}
	err := run(t, s, log)
	if err == nil || !strings.Contains(err.Error(), "exit code 3") {
		t.Fatalf("error %v, want exit code 3", err)
	}
	if !strings.Contains(err.Error(), "line22") || strings.Contains(err.Error(), "line2\n") {
		t.Errorf("error should quote the last %d lines only: %v", tailLines, err)
	}
}

func TestRunStreamsLines(t *testing.T) {
	flag := filepath.Join(t.TempDir(), "flag")
	log := &logBuf{}
	log.onLine = func(line string) {
		if strings.Contains(line, "ready") {
			os.WriteFile(flag, nil, 0o644)
		}
	}
	// The command only finishes once the log has seen its first line.
	s := &Step{Command: []string{"sh", "-c", `echo ready; while [ ! -e "$1" ]; do sleep 0.01; done; echo done`, "sh", flag}, Timeout: 20 * time.Second}
	if err := run(t, s, log); err != nil {
		t.Fatalf("output was not streamed: %v", err)
	}
}

func TestRunTimeoutKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	// 3 s: the shell must have started its grandchild (and written its pid)
	// before the timeout, even on a loaded machine.
	s := &Step{Command: []string{"sh", "-c", `sleep 60 & echo $! > "$1"; wait`, "sh", pidFile}, Timeout: 3 * time.Second}
	err := run(t, s, &logBuf{})
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "timed out after 3s") {
		t.Fatalf("error %v, want a timeout", err)
	}
	data, rerr := os.ReadFile(pidFile)
	if rerr != nil {
		t.Fatal(rerr)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if !eventuallyGone(pid) {
		t.Errorf("grandchild %d survived the timeout", pid)
	}
}

// eventuallyGone waits (bounded) for a killed process to be reaped or a zombie.
func eventuallyGone(pid int) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(stat), ") Z") {
			return true
		}
		if syscall.Kill(pid, 0) != nil {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func TestRunHonoursCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := &Step{Command: []string{"sleep", "60"}, Timeout: time.Minute}
	err := s.Run(ctx, provider.StepEnv{Dir: t.TempDir(), Log: &logBuf{}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want canceled", err)
	}
}
