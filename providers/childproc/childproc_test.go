package childproc

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCancelKillsGroup: cancelling the context kills the child's whole
// group, grandchildren included.
func TestCancelKillsGroup(t *testing.T) {
	pidFile := t.TempDir() + "/pid"
	ctx, cancel := context.WithCancel(context.Background())
	cmd := Command(ctx, "/bin/sh", os.Environ(), "-c", "sleep 300 & echo $! > "+pidFile+"; wait")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	grandchild := waitPid(t, pidFile)
	cancel()
	_ = cmd.Wait()
	waitGone(t, grandchild)
}

// TestParentDeathKillsChild: a child of a process killed with -9 dies
// too (Linux). The helper process below starts a child and is killed.
func TestParentDeathKillsChild(t *testing.T) {
	if os.Getenv("CHILDPROC_HELPER") != "" {
		cmd := Command(context.Background(), "/bin/sleep", nil, "300")
		if err := cmd.Start(); err != nil {
			os.Exit(2)
		}
		_ = os.WriteFile(os.Getenv("CHILDPROC_HELPER"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
		_ = cmd.Wait()
		os.Exit(0)
	}
	pidFile := t.TempDir() + "/pid"
	helper := exec.Command(os.Args[0], "-test.run", "^TestParentDeathKillsChild$")
	helper.Env = append(os.Environ(), "CHILDPROC_HELPER="+pidFile)
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	child := waitPid(t, pidFile)
	_ = helper.Process.Signal(syscall.SIGKILL)
	_ = helper.Wait()
	waitGone(t, child)
}

func waitPid(t *testing.T, file string) int {
	t.Helper()
	for range 2400 { // 60 s: a -race helper process starts slowly under load
		if b, err := os.ReadFile(file); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				return pid
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("the child never started")
	return 0
}

// waitGone fails unless pid is gone (or a zombie) within 30 s (a killed
// process must still be scheduled to exit, late on a loaded machine).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for range 1200 {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Errorf("process %d still runs", pid)
}
