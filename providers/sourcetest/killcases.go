package sourcetest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

// testKillBackup kills -9 a helper process in the middle of a dump: no
// snapshot appears, no process it started survives it, and the next
// backup succeeds and restores the data.
func testKillBackup(t *testing.T, h Harness) {
	k := h.Kill
	fx := h.Setup(t)
	if k.Grow != nil {
		k.Grow(t, fx)
	}
	check := fx.Capture(t)
	dir := t.TempDir()
	killHelper(t, "backup", fx, dir, k.DumpTool)

	repo := k.Repo(t, filepath.Join(dir, "repo"))
	defer repo.Close()
	if n := repo.Count(t); n != 0 {
		t.Errorf("the killed backup left %d snapshots, want none", n)
	}
	sink, finish := repo.NewSnapshot(t, nil)
	if _, err := fx.Source.Backup(context.Background(), sink, provider.BackupOptions{}); err != nil {
		t.Fatalf("backup after the kill: %v", err)
	}
	tree := finish()
	if n := repo.Count(t); n != 1 {
		t.Errorf("%d snapshots after the next backup, want 1", n)
	}
	to, restored := fx.Dest(t.TempDir())
	if err := fx.Source.Restore(context.Background(), tree, provider.RestoreOptions{To: to}); err != nil {
		t.Fatalf("restore of the backup after the kill: %v", err)
	}
	check(t, restored)
}

// testKillRestore kills -9 a helper process in the middle of a restore in
// place: the live data is as it was, no process it started survives it,
// CleanLeftovers removes the scratch databases it left, and the next
// restore succeeds.
func testKillRestore(t *testing.T, h Harness) {
	k := h.Kill
	fx := h.Setup(t)
	if k.Grow != nil {
		k.Grow(t, fx)
	}
	snapshot := fx.Capture(t)
	dir := backupForKill(t, k, fx)
	fx.Mutate(t)
	live := fx.Capture(t)
	before := names(t, k, fx)

	killHelper(t, "restore", fx, dir, k.RestoreTool)
	live(t, fx.Live)
	if !k.InPlace {
		cleanLeftovers(t, k, fx, before)
	}

	repo := k.Repo(t, filepath.Join(dir, "repo"))
	defer repo.Close()
	if err := fx.Source.Restore(context.Background(), repo.Latest(t), provider.RestoreOptions{}); err != nil {
		t.Fatalf("restore after the killed one: %v", err)
	}
	snapshot(t, fx.Live)
}

// testKillSleepingTool kills -9 a helper process whose dump tool sleeps
// without touching its pipes (as one waiting on the server does, which a
// closed pipe never ends): the tool dies with it all the same.
func testKillSleepingTool(t *testing.T, h Harness) {
	fx := h.Setup(t)
	dir := t.TempDir()
	tool := h.Kill.SleepingTool(t, filepath.Join(dir, stalledMark))
	// The tool, found by its pid among the helper's descendants, must die.
	killHelper(t, "sleeping-tool", fx, dir, "", envKillTool+"="+tool)
}

// testKillTestRestore kills -9 a helper process in the middle of a test
// restore: the live data is as it was, and CleanLeftovers removes the
// scratch database it left.
func testKillTestRestore(t *testing.T, h Harness) {
	k := h.Kill
	fx := h.Setup(t)
	dir := backupForKill(t, k, fx)
	live := fx.Capture(t)
	before := names(t, k, fx)
	if err := os.Mkdir(filepath.Join(dir, "scratch"), 0o700); err != nil {
		t.Fatal(err)
	}
	killHelper(t, "test-restore", fx, dir, k.RestoreTool)
	live(t, fx.Live)
	cleanLeftovers(t, k, fx, before)
}

// names is the set of scratch databases there are now.
func names(t *testing.T, k *Kill, fx Fixture) map[string]bool {
	out := map[string]bool{}
	for _, n := range k.Leftovers(t, fx) {
		out[n] = true
	}
	return out
}

// cleanLeftovers checks that the killed restore left scratch databases
// (else the case proves nothing) and that CleanLeftovers removes them.
func cleanLeftovers(t *testing.T, k *Kill, fx Fixture, before map[string]bool) {
	t.Helper()
	var left []string
	for _, n := range k.Leftovers(t, fx) {
		if !before[n] {
			left = append(left, n)
		}
	}
	if len(left) == 0 {
		t.Fatal("the killed restore left no scratch database (stalled before staging?)")
	}
	if k.Age != nil {
		k.Age(t, fx, left)
	}
	cl, ok := fx.Source.(provider.LeftoverCleaner)
	if !ok {
		t.Fatalf("%T stages restores but is no provider.LeftoverCleaner", fx.Source)
	}
	// The server notices the killed sessions a moment later: retry.
	var remain []string
	for range 100 {
		if _, err := cl.CleanLeftovers(context.Background()); err != nil {
			t.Fatalf("clean leftovers: %v", err)
		}
		remain = remain[:0]
		now := map[string]bool{}
		for _, n := range k.Leftovers(t, fx) {
			now[n] = true
		}
		for _, n := range left {
			if now[n] {
				remain = append(remain, n)
			}
		}
		if len(remain) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("CleanLeftovers kept what the killed restore left: %v", remain)
}

// killHelper runs op in a helper process over fx, waits until it stalled
// half-way, checks that tool ("" for none) is among its descendants, kills
// it -9, and checks that every descendant dies with it.
func killHelper(t *testing.T, op string, fx Fixture, dir, tool string, env ...string) {
	t.Helper()
	spec := fx.Spec
	if spec == "" {
		spec = fx.Live
	}
	cmd := exec.Command(os.Args[0], "-test.run="+runPattern(t.Name()), "-test.count=1", "-test.v")
	// The helper's temporary files go to a directory of their own, which
	// must be empty after the kill: a password file left there (an option
	// file for a dump tool) would outlive the run on disk.
	tmp := filepath.Join(dir, "tmp-"+op)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), envKillOp+"="+op, envKillSpec+"="+spec, envKillDir+"="+dir, "TMPDIR="+tmp)
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if err := awaitStall(filepath.Join(dir, stalledMark), done); err != nil {
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s helper: %v\n%s", op, err, tail(out.String()))
	}
	procs := descendants(cmd.Process.Pid)
	if tool != "" && !hasComm(procs, tool) {
		t.Errorf("no %s ran under the stalled %s helper when it was killed (processes: %v): grow the fixture", tool, op, procs)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-done
	for pid, comm := range procs {
		if !diesSoon(pid) {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
			t.Errorf("%s (pid %d) outlived the %s helper killed -9", comm, pid, op)
		}
	}
	if left := files(tmp); len(left) > 0 {
		t.Errorf("the %s helper killed -9 left temporary files %v: nothing it writes may outlive it (passwords)", op, left)
	}
}

// files lists the files in dir, not the directories (the helper's own
// test framework makes its t.TempDir there).
func files(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// awaitStall waits for the helper to create mark, or to end (an error).
func awaitStall(mark string, done chan error) error {
	deadline := time.After(2 * time.Minute)
	for {
		if _, err := os.Stat(mark); err == nil {
			return nil
		}
		select {
		case err := <-done:
			done <- err
			return fmt.Errorf("ended before it stalled: %v", err)
		case <-deadline:
			return fmt.Errorf("did not stall within 2 minutes")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// runPattern is a -test.run pattern selecting exactly the test named name.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

func tail(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}

// descendants maps every process under pid (children, theirs, …) to its
// command name, read from /proc.
func descendants(pid int) map[int]string {
	type proc struct {
		ppid int
		comm string
	}
	all := map[int]proc{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if comm, ppid, _, ok := stat(p); ok {
			all[p] = proc{ppid, comm}
		}
	}
	out := map[int]string{}
	for changed := true; changed; {
		changed = false
		for p, pr := range all {
			if _, seen := out[p]; !seen && (pr.ppid == pid || out[pr.ppid] != "") {
				out[p] = pr.comm
				changed = true
			}
		}
	}
	return out
}

// stat reads a process's command name, parent and state from /proc.
func stat(pid int) (comm string, ppid int, state string, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, "", false
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return "", 0, "", false
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 2 {
		return "", 0, "", false
	}
	ppid, _ = strconv.Atoi(f[1])
	return s[open+1 : end], ppid, f[0], true
}

// diesSoon waits up to 10 s for pid to be gone (a zombie counts: this
// container's init may never reap it).
func diesSoon(pid int) bool {
	for range 500 {
		if _, _, state, ok := stat(pid); !ok || state == "Z" || state == "X" {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func hasComm(procs map[int]string, comm string) bool {
	for _, c := range procs {
		if c == comm {
			return true
		}
	}
	return false
}

// backupForKill backs fx up into a new on-disk repository, closed again so
// that a helper process can open it, and returns the repository's parent
// directory.
func backupForKill(t *testing.T, k *Kill, fx Fixture) string {
	t.Helper()
	dir := t.TempDir()
	repo := k.Repo(t, filepath.Join(dir, "repo"))
	sink, finish := repo.NewSnapshot(t, nil)
	if _, err := fx.Source.Backup(context.Background(), sink, provider.BackupOptions{}); err != nil {
		t.Fatalf("backup: %v", err)
	}
	finish()
	repo.Close()
	return dir
}
