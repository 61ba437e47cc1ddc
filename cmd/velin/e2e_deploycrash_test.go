package main

import (
	"bytes"
	"fmt"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// crashHook is a script the plan's stop, start and migrate commands call
// after their work, with the step's name: when pause.NAME exists (holding
// how many calls to let pass first) it announces itself in at.NAME (its
// pid) and waits, so that the test kills velin at that very step.
const crashHook = `#!/bin/sh
d=%q
echo "$1" >> "$d/hooks.log"
[ -f "$d/pause.$1" ] || exit 0
n=$(cat "$d/pause.$1")
if [ "${n:-0}" -gt 0 ]; then echo $((n-1)) > "$d/pause.$1"; exit 0; fi
rm -f "$d/pause.$1"
echo $$ > "$d/at.$1.tmp" && mv "$d/at.$1.tmp" "$d/at.$1"
exec sleep 120
`

// crashProject is examples/deploy with the crash hook after stop, start,
// the down migration and the schema version query, and three versions: v1 (schema 1), v2 (schema
// 2) and v3 (schema 2, fails its health check). Each version's artifacts
// are kept under built/<version> to compare releases with.
func crashProject(t *testing.T) *deployProject {
	p := newDeployProject(t)
	hook := p.path("hook.sh")
	p.write("hook.sh", fmt.Sprintf(crashHook, p.dir))
	plan, _ := os.ReadFile(p.path("velin.hcl"))
	src := strings.NewReplacer(
		`stop  = ["sh", "./current/api/stop.sh"]`,
		fmt.Sprintf(`stop  = ["sh", "-c", "sh ./current/api/stop.sh && sh %s stop"]`, hook),
		`start = ["sh", "./current/api/start.sh", var.addr]`,
		fmt.Sprintf(`start = ["sh", "-c", "sh ./current/api/start.sh \"$0\" && sh %s start", var.addr]`, hook),
		`down_to = ["./current/api/api", "migrate", "goto", "{version}"]`,
		fmt.Sprintf(`down_to = ["sh", "-c", "./current/api/api migrate goto \"$0\" && sh %s migrate", "{version}"]`, hook),
		`current = ["./current/api/api", "migrate", "version"]`,
		fmt.Sprintf(`current = ["sh", "-c", "./current/api/api migrate version && sh %s current"]`, hook),
	).Replace(string(plan))
	if strings.Count(src, hook) != 4 {
		t.Fatalf("the example plan changed: the crash hook is not wired in:\n%s", src)
	}
	p.write("velin.hcl", src)
	p.write("config/app.conf", "greeting=one\n")
	for _, v := range []struct {
		name    string
		healthy bool
		n       int
	}{{"v1", true, 1}, {"v2", true, 2}, {"v3", false, 2}} {
		p.build(v.healthy, v.n)
		if err := os.CopyFS(p.path("built/"+v.name), os.DirFS(p.path("build"))); err != nil {
			t.Fatal(err)
		}
		p.must("rollback", "create-version", v.name+" - crash test")
	}
	p.must("rollback", "to-version", "v1")
	t.Cleanup(func() { killWatchdogs(t, p.project) })
	return p
}

// killAt runs velin args until the hook pauses at step (after skip calls
// of it), then kills velin and the paused hook with SIGKILL.
func (p *deployProject) killAt(step string, skip int, args ...string) {
	p.t.Helper()
	p.write("pause."+step, strconv.Itoa(skip))
	cmd := exec.Command(velinBin, args...)
	var out bytes.Buffer
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = p.dir, p.env, &out, &out
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	at := p.path("at." + step)
	for end := time.Now().Add(90 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(at); err == nil && len(b) > 0 {
			cmd.Process.Kill()
			<-done
			if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			os.Remove(at)
			return
		}
		select {
		case err := <-done:
			p.t.Fatalf("velin %v ended (%v) before the %s step:\n%s", args, err, step, out.String())
		default:
		}
		if time.Now().After(end) {
			p.t.Fatalf("velin %v never reached the %s step:\n%s", args, step, out.String())
		}
	}
}

// checkRelease asserts that current is a symlink to the complete release
// of version: the same files, with the same content, as its artifacts.
func (p *deployProject) checkRelease(version string) {
	p.t.Helper()
	link, err := os.Readlink(p.path("srv/current"))
	if err != nil || link != "releases/"+version {
		p.t.Fatalf("current -> %q (%v), want releases/%s", link, err, version)
	}
	want := treeOf(p.t, p.path("built/"+version))
	got := treeOf(p.t, p.path("srv/current"))
	delete(got, ".velin-release.json")
	if len(got) != len(want) {
		p.t.Fatalf("release %s holds %d files, its version %d", version, len(got), len(want))
	}
	for name, content := range want {
		if got[name] != content {
			p.t.Fatalf("release %s: %s differs from the version's", version, name)
		}
	}
}

// treeOf maps each regular file under dir to its content.
func treeOf(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(root, path)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestE2EDeployKill9Recovers kills `velin rollback to-version`, `velin
// rollback rollback` and `velin rollback begin` with SIGKILL at named steps
// (after stop, after the down migration, after start, during the return
// from a failed release, during a transaction's rollback, while begin
// records the schema). Whatever the next command is (plan,
// backup list, rollback list), it finishes or undoes the interrupted
// operation: current points at a complete release and the service runs
// the expected one.
func TestE2EDeployKill9Recovers(t *testing.T) {
	p := crashProject(t)
	next := [][]string{{"plan"}, {"backup", "list"}, {"rollback", "list"}}
	for i, tc := range []struct {
		name, step string
		skip       int
		args       []string
		before     [][]string // run first
		release    string     // current after the next command
		says       string     // the service's answer
	}{
		{"undone after stop", "stop", 0, []string{"rollback", "to-version", "v2"}, nil, "v1", "one (schema 1)"},
		{"finished after start", "start", 0, []string{"rollback", "to-version", "v2"}, nil, "v2", "one (schema 2)"},
		{"finished after the down migration", "migrate", 0, []string{"rollback", "to-version", "v1"}, nil, "v1", "one (schema 1)"},
		{"return from a failed release finished", "start", 1, []string{"rollback", "to-version", "v3"}, nil, "v1", "one (schema 1)"},
		{"transaction rollback finished", "start", 0, []string{"rollback", "rollback"},
			[][]string{{"rollback", "begin", "--timeout", "10m"}, {"rollback", "to-version", "v2"}}, "v1", "one (schema 1)"},
		{"interrupted begin closed", "current", 0, []string{"rollback", "begin", "--timeout", "10m"}, nil, "v1", "one (schema 1)"},
	} {
		for _, args := range tc.before {
			p.must(args...)
		}
		p.killAt(tc.step, tc.skip, tc.args...)
		if _, err := os.Stat(p.path("state/deployments/api/journal.json")); err != nil && tc.args[1] == "to-version" {
			t.Fatalf("%s: no journal left by the kill: %v", tc.name, err)
		}
		r := p.run(next[i%len(next)]...)
		if r.code != 0 {
			t.Fatalf("%s: velin %v after the kill: %s", tc.name, next[i%len(next)], r)
		}
		if _, err := os.Stat(p.path("state/deployments/api/journal.json")); err == nil {
			t.Fatalf("%s: velin %v left the interrupted operation in the journal:\n%s", tc.name, next[i%len(next)], r)
		}
		p.checkRelease(tc.release)
		if got := p.get(); got != tc.says {
			t.Fatalf("%s: the service says %q, want %q", tc.name, got, tc.says)
		}
		if s := p.txStatus(); tc.args[1] != "to-version" && s.State != "rolled-back" {
			t.Fatalf("%s: the transaction is %q", tc.name, s.State)
		}
	}
	if m := p.markers(); strings.Join(m["v3"], ",") != "bad" {
		t.Errorf("v3 is not marked bad after its interrupted return: %v", m)
	}
	p.must("rollback", "begin", "--timeout", "10m") // not refused: the interrupted one is closed
	p.must("rollback", "commit")
}

// TestE2EDeployKill9AtRandom kills `velin rollback to-version` (between v1
// and v2, the target's release removed from disk first so that the kill
// may land while it is restored) after a random delay, from a fixed seed;
// the next `velin rollback list` must leave current on a complete release
// with the service running it and nothing left in the journal.
func TestE2EDeployKill9AtRandom(t *testing.T) {
	p := crashProject(t)
	rng := mrand.New(mrand.NewPCG(10, 1))
	says := map[string]string{"v1": "one (schema 1)", "v2": "one (schema 2)"}
	n := 8
	if testing.Short() {
		n = 3
	}
	for i := 0; i < n; i++ {
		to := map[string]string{"v1": "v2", "v2": "v1"}[p.current()]
		if err := os.RemoveAll(p.path("srv/releases/" + to)); err != nil {
			t.Fatal(err)
		}
		// Even kills count from the start (restore of the release), odd
		// ones from the end of stop (the switch's journaled steps).
		from, delay := "the start", time.Duration(rng.IntN(1500))*time.Millisecond
		if i%2 == 1 {
			from, delay = "stop", time.Duration(rng.IntN(150))*time.Millisecond
		}
		hooks, _ := os.ReadFile(p.path("hooks.log"))
		cmd := exec.Command(velinBin, "rollback", "to-version", to)
		cmd.Dir, cmd.Env = p.dir, p.env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if from == "stop" {
			p.waitHook(len(hooks), "stop")
		}
		time.Sleep(delay)
		cmd.Process.Kill()
		cmd.Wait()
		p.waitOrphans()
		_, err := os.Stat(p.path("state/deployments/api/journal.json"))
		t.Logf("kill %d: to-version %s killed %s after %s (journal left: %v)", i, to, delay, from, err == nil)
		r := p.must("rollback", "list")
		if _, err := os.Stat(p.path("state/deployments/api/journal.json")); err == nil {
			t.Fatalf("kill %d: rollback list left the interrupted to-version in the journal:\n%s", i, r)
		}
		cur := p.current()
		p.checkRelease(cur)
		if got := p.get(); got != says[cur] {
			t.Fatalf("kill %d: current is %s but the service says %q", i, cur, got)
		}
	}
}

// waitHook waits until hooks.log, past offset, names step.
func (p *deployProject) waitHook(offset int, step string) {
	p.t.Helper()
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		b, _ := os.ReadFile(p.path("hooks.log"))
		if len(b) > offset && strings.Contains(string(b[offset:]), step+"\n") {
			return
		}
	}
	p.t.Fatalf("to-version never reached %s", step)
}

// waitOrphans waits until the commands a killed velin left running (stop,
// start, migrations: processes working in srv, but the service) have
// ended, as they would before the next command on a real machine.
func (p *deployProject) waitOrphans() {
	p.t.Helper()
	srv, _ := filepath.EvalSymlinks(p.path("srv"))
	for end := time.Now().Add(90 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		busy := false
		procs, _ := filepath.Glob("/proc/[0-9]*")
		for _, proc := range procs {
			cwd, err := os.Readlink(proc + "/cwd")
			comm, _ := os.ReadFile(proc + "/comm")
			if err == nil && strings.HasPrefix(cwd, srv) && strings.TrimSpace(string(comm)) != "api" {
				busy = true
				break
			}
		}
		if !busy {
			return
		}
	}
	p.t.Fatal("the commands of the killed velin are still running after 90s")
}

// TestE2ETxnCommitKill9: `velin rollback commit` killed with SIGKILL during
// its health check leaves the transaction open (the commit did not
// happen; the watchdog still guards it); the next commit closes it.
func TestE2ETxnCommitKill9(t *testing.T) {
	p := &deployProject{project: txProject(t)}
	p.write("hook.sh", fmt.Sprintf(crashHook, p.dir))
	plan, _ := os.ReadFile(p.path("velin.hcl"))
	src := strings.Replace(string(plan), `exec     = ["true"]`, fmt.Sprintf(`exec     = ["sh", %q, "health"]`, p.path("hook.sh")), 1)
	if src == string(plan) {
		t.Fatal("the test plan changed: the hook is not wired into the health check")
	}
	// A probe is bounded by max(interval, 1 s): the hook must reach its
	// pause within it, even on a loaded machine, or the next probe (unpaused)
	// passes and the commit ends before the kill.
	src = strings.Replace(src, "timeout  = \"2s\"\n    interval = \"100ms\"", "timeout  = \"60s\"\n    interval = \"30s\"", 1)
	if !strings.Contains(src, `interval = "30s"`) {
		t.Fatal("the test plan changed: the health check's bounds are not widened")
	}
	p.write("velin.hcl", src)
	p.must("rollback", "begin", "--timeout", "10m")
	p.must("rollback", "to-version", "v2")
	p.killAt("health", 0, "rollback", "commit")
	if s := p.txStatus(); s.State != "open" || s.Watchdog != "alive" || p.current() != "v2" {
		t.Fatalf("after the killed commit: %+v, current %s", s, p.current())
	}
	p.must("rollback", "commit")
	if s := p.txStatus(); s.State != "committed" || p.current() != "v2" {
		t.Fatalf("after the second commit: %+v, current %s", s, p.current())
	}
}

// TestE2EDeployKill9RollbackRecover: `velin rollback to-version` killed
// with SIGKILL after stop, then after start, and `velin rollback recover`
// run where no plan is (as a boot-time unit does, with VELIN_STATE_DIR
// only): it finds the interrupted switch through the host's index, undoes
// the first (exit 3: the release that ran before runs again) and finishes
// the second (exit 0), says so, and leaves current on a complete release
// with the expected service running and nothing in the journal.
func TestE2EDeployKill9RollbackRecover(t *testing.T) {
	p := crashProject(t)
	elsewhere := t.TempDir()
	for _, tc := range []struct {
		step, to string
		code     int
		says     string // recover's output
		release  string
		service  string
	}{
		{"stop", "v2", 3, "an interrupted to-version v2 was undone: v1 is current", "v1", "one (schema 1)"},
		{"start", "v2", 0, "an interrupted to-version v2 was finished: v2 is current and healthy", "v2", "one (schema 2)"},
	} {
		p.killAt(tc.step, 0, "rollback", "to-version", tc.to)
		if _, err := os.Stat(p.path("state/deployments/api/journal.json")); err != nil {
			t.Fatalf("after %s: no journal left by the kill: %v", tc.step, err)
		}
		cmd := exec.Command(velinBin, "rollback", "recover")
		var out bytes.Buffer
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = elsewhere, p.env, &out, &out
		err := cmd.Run()
		if cmd.ProcessState.ExitCode() != tc.code || !strings.Contains(out.String(), "Deployment api: "+tc.says) {
			t.Fatalf("after %s: rollback recover exited %d (%v), want %d saying %q:\n%s", tc.step,
				cmd.ProcessState.ExitCode(), err, tc.code, tc.says, out.String())
		}
		if _, err := os.Stat(p.path("state/deployments/api/journal.json")); err == nil {
			t.Fatalf("after %s: rollback recover left the interrupted to-version in the journal:\n%s", tc.step, out.String())
		}
		p.checkRelease(tc.release)
		if got := p.get(); got != tc.service {
			t.Fatalf("after %s: the service says %q, want %q", tc.step, got, tc.service)
		}
	}
	if r := p.run("rollback", "recover"); r.code != 0 || !strings.Contains(r.stdout, "Nothing to recover") {
		t.Fatalf("a second recover: %s", r)
	}
}

// TestE2EDaemonReloadRecovers: `velin daemon` runs a plan with no
// deployment; `velin rollback to-version` is killed with SIGKILL after
// stop; the plan is rewritten with the deployment block and the daemon
// sent SIGHUP. Before it logs "plan reloaded" the reload has run the
// recovery a command runs at start: the to-version is undone (logged),
// current points at the complete release that ran before and it runs.
func TestE2EDaemonReloadRecovers(t *testing.T) {
	p := crashProject(t)
	p.write("site/index.html", "<h1>daemon</h1>")
	backup := `
source "files" "site" {
  paths = ["./site"]
}
backup "often" {
  sources  = [source.files.site]
  target   = target.local.disk
  schedule = "every 1h"
}
`
	plan, _ := os.ReadFile(p.path("velin.hcl"))
	p.write("daemon.hcl", "target \"local\" \"disk\" {\n  path       = \"./repo\"\n  encryption = \"none\"\n}\n"+backup)
	d := startDaemon(t, p.project, "-f", "daemon.hcl")
	d.await("serving /healthz and /metrics")
	p.killAt("stop", 0, "rollback", "to-version", "v2")
	if _, err := os.Stat(p.path("state/deployments/api/journal.json")); err != nil {
		t.Fatalf("no journal left by the kill: %v", err)
	}
	p.write("daemon.hcl", string(plan)+backup)
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.await("plan reloaded")
	if _, err := os.Stat(p.path("state/deployments/api/journal.json")); err == nil {
		t.Fatalf("the reload left the interrupted to-version in the journal:\n%s", d.logText())
	}
	if !strings.Contains(d.logText(), "an interrupted to-version v2 was undone") {
		t.Errorf("the daemon did not log what recovery did:\n%s", d.logText())
	}
	p.checkRelease("v1")
	if got := p.get(); got != "one (schema 1)" {
		t.Fatalf("the service says %q after the reload", got)
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	d.await("stopped")
	for range d.lines {
	}
	_ = d.cmd.Wait()
}
