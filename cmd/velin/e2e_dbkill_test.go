package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/providers/dbtest"
)

// TestKill9VelinMidPostgresDump kills -9 `velin backup create` while its
// pg_dump runs (a wrapper that, while the file "sleep" exists, starts a
// dump and then sleeps without touching its pipes, as a pg_dump waiting on
// a lock does): pg_dump dies with velin, no snapshot appears, and the next
// backup (the real pg_dump) succeeds.
func TestKill9VelinMidPostgresDump(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("finds pg_dump in /proc")
	}
	live := dbtest.Postgres(t)
	pgExec(t, live, `CREATE TABLE t (a int)`, `INSERT INTO t VALUES (1), (2)`)
	dir := t.TempDir()
	flag, mark := filepath.Join(dir, "sleep"), filepath.Join(dir, "pid")
	tool := filepath.Join(dir, "pg_dump")
	script := fmt.Sprintf(`#!/bin/sh
if [ "$1" != "--version" ] && [ -e %s ]; then echo $$ > %s.tmp; mv %s.tmp %s; echo 'SET statement_timeout = 0;'; exec sleep 300; fi
exec /usr/bin/pg_dump "$@"
`, flag, mark, mark, mark)
	if err := os.WriteFile(tool, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(flag, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := newProject(t, fmt.Sprintf(postgresPlan, `pg_dump_path = "`+tool+`"`))
	p.env = append(p.env, "APP_DSN="+live)

	cmd := exec.Command(velinBin, "backup", "create")
	cmd.Dir, cmd.Env = p.dir, p.env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := awaitPid(t, mark)
	if pid == 0 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("pg_dump never started")
	}
	if ppid := parentOf(pid); ppid != cmd.Process.Pid {
		t.Errorf("pg_dump %d is a child of %d, not of velin %d", pid, ppid, cmd.Process.Pid)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if !goneSoon(pid) {
		exec.Command("kill", "-9", strconv.Itoa(pid)).Run()
		t.Errorf("pg_dump %d outlived velin killed -9", pid)
	}
	if n := len(p.snapshotsOrNone()); n != 0 {
		t.Errorf("velin killed mid-dump left %d snapshots", n)
	}
	os.Remove(flag)
	p.must("backup", "create")
	if n := len(p.snapshots()); n != 1 {
		t.Errorf("%d snapshots after the next backup, want 1", n)
	}
}

// awaitPid waits up to 2 minutes for file to hold a pid.
func awaitPid(t *testing.T, file string) int {
	for range 1200 {
		if b, err := os.ReadFile(file); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				return pid
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return 0
}

// parentOf reads a process's parent from /proc (0 when it is gone).
func parentOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// goneSoon waits up to 10 s for pid to end (a zombie counts as ended).
func goneSoon(pid int) bool {
	for range 500 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return true
		}
		s := string(b)
		if f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(f) > 0 && f[0] == "Z" {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
