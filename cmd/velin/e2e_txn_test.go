package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// txProject is a project with one deployment "app" whose releases are
// directories under srv/releases, stored in a local repository, and its
// own journal and boot id file.
func txProject(t *testing.T) *project {
	t.Helper()
	return txProjectWith(t, "", "")
}

// txProjectWith is txProject with more blocks (top) and more of the
// deployment block (inDeployment).
func txProjectWith(t *testing.T, top, inDeployment string) *project {
	t.Helper()
	p := newProject(t, "")
	p.write("velin.hcl", fmt.Sprintf(`%[2]s
target "local" "disk" {
  path       = "./repo"
  passphrase = env("VELIN_PASSPHRASE")
}

deployment "app" {
  root      = "./srv"
  artifacts = ["./build"]
  config    = ["./config"]
  target    = target.local.disk
  start     = ["sh", "-c", "echo started >> %[1]s/starts.log"]
  health {
    exec     = ["true"]
    timeout  = "2s"
    interval = "100ms"
  }
%[3]s
}
`, p.dir, top, inDeployment))
	p.write("boot_id", "boot-1\n")
	p.env = append(p.env, "VELIN_STATE_DIR="+p.path("state"), "VELIN_BOOT_ID_FILE="+p.path("boot_id"))
	for _, v := range []string{"v1", "v2"} {
		p.write("build/app.txt", "release "+v+"\n")
		p.write("config/app.conf", "config of "+v+"\n")
		p.must("rollback", "create-version", v+" - release "+v)
	}
	p.must("rollback", "to-version", "v1")
	t.Cleanup(func() { killWatchdogs(t, p) })
	return p
}

// current is the release srv/current points at.
func (p *project) current() string {
	p.t.Helper()
	target, err := os.Readlink(p.path("srv/current"))
	if err != nil {
		p.t.Fatal(err)
	}
	return filepath.Base(target)
}

type txStatusOut struct {
	Tx       string    `json:"tx"`
	State    string    `json:"state"`
	Reason   string    `json:"reason"`
	Deadline time.Time `json:"deadline"`
	Ended    time.Time `json:"ended"`
	Watchdog string    `json:"watchdog"`
	Release  string    `json:"release"`
}

func (p *project) txStatus() txStatusOut {
	p.t.Helper()
	r := p.must("rollback", "status", "--json")
	var s txStatusOut
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		p.t.Fatalf("status --json: %v\n%s", err, r)
	}
	return s
}

// waitState polls the journal (status) until the transaction is in state.
func (p *project) waitState(state string, within time.Duration) txStatusOut {
	p.t.Helper()
	end := time.Now().Add(within)
	for {
		s := p.txStatus()
		if s.State == state || time.Now().After(end) {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// expireDeadline moves the open transaction's deadline (its begin record,
// which the watchdog reads again at every poll) to now, as the clock
// passing it would. The test, not the machine's speed, so decides that the
// deadline comes after the deploy: with a short --timeout, a to-version
// slowed by a loaded machine could outlast it, and the watchdog would roll
// back before the test saw v2 deployed.
func (p *project) expireDeadline() {
	p.t.Helper()
	files, _ := filepath.Glob(p.path("state/journal/*/*-begin.json"))
	if len(files) != 1 {
		p.t.Fatalf("want the begin record of one open transaction, found %q", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		p.t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil || rec["deadline"] == nil {
		p.t.Fatalf("begin record %s: %v\n%s", files[0], err, b)
	}
	rec["deadline"] = time.Now().UTC().Format(time.RFC3339Nano)
	if b, err = json.MarshalIndent(rec, "", "  "); err != nil {
		p.t.Fatal(err)
	}
	tmp := p.path("begin.json.tmp") // same file system: the rename is atomic
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		p.t.Fatal(err)
	}
	if err := os.Rename(tmp, files[0]); err != nil {
		p.t.Fatal(err)
	}
}

// waitWatchdogLog polls the watchdog logs (of open and of ended
// transactions) until one holds all of want, and returns the last one
// read. It runs no velin command: every command starts by rolling back
// the transactions whose deadline passed, and would race the watchdog.
func (p *project) waitWatchdogLog(within time.Duration, want ...string) string {
	p.t.Helper()
	var last string
	for end := time.Now().Add(within); ; time.Sleep(50 * time.Millisecond) {
		open, _ := filepath.Glob(p.path("state/journal/*/watchdog.log"))
		done, _ := filepath.Glob(p.path("state/journal/done/*/watchdog.log"))
		for _, f := range append(open, done...) {
			b, _ := os.ReadFile(f)
			last = string(b)
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(last, w)
			}
			if ok {
				return last
			}
		}
		if time.Now().After(end) {
			return last
		}
	}
}

// killWatchdogs ends the watchdogs the test's transactions left.
func killWatchdogs(t *testing.T, p *project) {
	for _, pid := range watchdogPIDs(t, p) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// watchdogPIDs reads the armed records of the journal.
func watchdogPIDs(t *testing.T, p *project) []int {
	files, _ := filepath.Glob(p.path("state/journal/*/*-armed.json"))
	done, _ := filepath.Glob(p.path("state/journal/done/*/*-armed.json"))
	var out []int
	for _, f := range append(files, done...) {
		var rec struct {
			PID int `json:"watchdog_pid"`
		}
		b, _ := os.ReadFile(f)
		if json.Unmarshal(b, &rec) == nil && rec.PID > 0 {
			out = append(out, rec.PID)
		}
	}
	return out
}

// TestE2ETxnDeadlineRollsBack: begin, deploy v2, no commit: the watchdog
// puts v1 back once the deadline passes, "rolled back automatically".
func TestE2ETxnDeadlineRollsBack(t *testing.T) {
	hooks := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hooks <- string(b)
	}))
	defer srv.Close()
	p := txProjectWith(t, fmt.Sprintf("notify \"webhook\" \"ops\" {\n  url = %q\n}\n", srv.URL+"/hook"), "  notify = [notify.webhook.ops]\n")
	// The deadline is moved to now once v2 is deployed (expireDeadline).
	r := p.must("rollback", "begin", "--timeout", "1h")
	if !strings.Contains(r.stdout, "release v1") {
		t.Fatalf("begin does not name the recorded release:\n%s", r)
	}
	p.must("rollback", "to-version", "v2")
	if p.current() != "v2" {
		t.Fatalf("current %s after to-version v2", p.current())
	}
	p.expireDeadline()
	// The watchdog's own log proves that it, not a later command, rolled
	// back; no command runs until it says so.
	if b := p.waitWatchdogLog(90*time.Second, "deadline", "rolled back"); !strings.Contains(b, "deadline") || !strings.Contains(b, "rolled back") {
		t.Fatalf("watchdog log:\n%s", b)
	}
	s := p.txStatus()
	if s.State != "rolled-back" || s.Reason != "deadline" || p.current() != "v1" {
		t.Fatalf("status %+v, current %s", s, p.current())
	}
	// A measurement, not an assertion (no timed tests).
	t.Logf("rolled back %s after the deadline", s.Ended.Sub(s.Deadline))
	select {
	case body := <-hooks:
		if !strings.Contains(body, `"event":"deployment.rolled_back"`) || !strings.Contains(body, "release v1") {
			t.Errorf("notification: %s", body)
		}
	case <-time.After(time.Minute):
		t.Error("no notification of the automatic rollback")
	}
}

// TestE2ETxnKilledScriptRollsBack: the deploy script is killed with -9
// (its whole process group) after begin and the deploy: the watchdog, in
// its own session, lives on and rolls back at the deadline (moved to now
// by the test once the script is dead).
func TestE2ETxnKilledScriptRollsBack(t *testing.T) {
	p := txProject(t)
	script := fmt.Sprintf("set -e\n%[1]s rollback begin --timeout 1h\n%[1]s rollback to-version v2\necho deployed > %[2]s\nsleep 60\n",
		velinBin, p.path("deployed"))
	p.write("deploy.sh", script)
	cmd := exec.Command("sh", p.path("deploy.sh"))
	cmd.Dir, cmd.Env = p.dir, p.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(p.path("deployed")); err == nil {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the deploy script did not deploy")
		}
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()
	if p.current() != "v2" {
		t.Fatalf("current %s before the deadline", p.current())
	}
	p.expireDeadline()
	if b := p.waitWatchdogLog(90*time.Second, "deadline", "rolled back"); !strings.Contains(b, "rolled back") {
		t.Fatalf("the watchdog did not roll back; its log:\n%s", b)
	}
	s := p.txStatus()
	if s.State != "rolled-back" || s.Reason != "deadline" || p.current() != "v1" {
		t.Fatalf("status %+v, current %s", s, p.current())
	}
}

// TestE2ETxnWatchdogKilledRecover: the watchdog is killed with -9 and the
// boot id changes (a reboot): `velin rollback recover` rolls back at once,
// long before the deadline, and exits 3; run again it has nothing to do.
func TestE2ETxnWatchdogKilledRecover(t *testing.T) {
	p := txProject(t)
	p.must("rollback", "begin", "--timeout", "1h")
	p.must("rollback", "to-version", "v2")
	if s := p.txStatus(); s.Watchdog != "alive" {
		t.Fatalf("watchdog %q after begin", s.Watchdog)
	}
	killWatchdogs(t, p)
	p.write("boot_id", "boot-2\n")
	r := p.run("rollback", "recover")
	if r.code != 3 || !strings.Contains(r.stdout, "rolled back") || p.current() != "v1" {
		t.Fatalf("recover: %s\ncurrent %s", r, p.current())
	}
	if s := p.txStatus(); s.State != "rolled-back" || s.Reason != "crash-recovery" {
		t.Fatalf("status %+v", s)
	}
	if r := p.run("rollback", "recover"); r.code != 0 {
		t.Fatalf("second recover: %s", r)
	}
}

// TestE2ETxnLateCommitRefused: a commit after the deadline exits 4 and the
// release recorded at begin is back.
func TestE2ETxnLateCommitRefused(t *testing.T) {
	p := txProject(t)
	p.must("rollback", "begin", "--timeout", "1s")
	time.Sleep(1500 * time.Millisecond)
	r := p.run("rollback", "commit")
	if r.code != 4 || !strings.Contains(r.stderr, "rolled back") {
		t.Fatalf("late commit: %s", r)
	}
	if s := p.waitState("rolled-back", 90*time.Second); s.State != "rolled-back" || p.current() != "v1" {
		t.Fatalf("status %+v, current %s", s, p.current())
	}
}

// TestE2ETxnCommit: a commit in time keeps v2; the watchdog exits.
func TestE2ETxnCommit(t *testing.T) {
	p := txProject(t)
	p.must("rollback", "begin", "--timeout", "1m")
	p.must("rollback", "to-version", "v2")
	p.must("rollback", "commit")
	if s := p.txStatus(); s.State != "committed" || p.current() != "v2" {
		t.Fatalf("status %+v, current %s", s, p.current())
	}
	// The journal is 0700/0600 and holds no secret.
	filepath.WalkDir(p.path("state/journal"), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		info, _ := d.Info()
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, info.Mode().Perm(), want)
		}
		b, _ := os.ReadFile(path)
		if searchable(testPassphrase) && strings.Contains(string(b), testPassphrase) {
			t.Errorf("%s holds the passphrase", path)
		}
		return nil
	})
}

// TestE2ETxnRacingBegins: two begins started together: one wins, the
// other exits 4 naming the open transaction.
func TestE2ETxnRacingBegins(t *testing.T) {
	p := txProject(t)
	var cmds [2]*exec.Cmd
	var outs [2]strings.Builder
	for i := range cmds {
		cmds[i] = exec.Command(velinBin, "rollback", "begin", "--timeout", "1m")
		cmds[i].Dir, cmds[i].Env = p.dir, p.env
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	codes := map[int]int{}
	for _, c := range cmds {
		c.Wait()
		codes[c.ProcessState.ExitCode()]++
	}
	if codes[0] != 1 || codes[4] != 1 {
		t.Fatalf("exit codes %v:\n%s\n%s", codes, outs[0].String(), outs[1].String())
	}
	s := p.txStatus()
	for _, o := range outs {
		if strings.Contains(o.String(), "refused") && !strings.Contains(o.String(), s.Tx) {
			t.Fatalf("the refused begin does not name %s:\n%s", s.Tx, o.String())
		}
	}
	p.must("rollback", "rollback")
}

// TestE2ETxnBeginTakesTheBackup: with transaction { backup = … }, begin
// runs that backup and records its snapshot, which status names.
func TestE2ETxnBeginTakesTheBackup(t *testing.T) {
	p := txProjectWith(t, `
source "files" "db" {
  paths = ["./data"]
}
backup "db" {
  sources = [source.files.db]
  target  = target.local.disk
}`, `
  transaction {
    backup = backup.db
  }`)
	p.write("data/rows", "row 1\n")
	r := p.must("rollback", "begin", "--timeout", "1m")
	snaps := p.snapshots()
	var id string
	for _, s := range snaps {
		if s.Backup == "db" {
			id = s.ID
		}
	}
	if id == "" || !strings.Contains(r.stdout, "database snapshot: "+id) {
		t.Fatalf("begin: %s\nsnapshots %+v", r, snaps)
	}
	st := p.must("rollback", "status", "--json")
	if !strings.Contains(st.stdout, `"database_snapshot": "`+id+`"`) {
		t.Fatalf("status: %s", st)
	}
	p.must("rollback", "commit")
}

// TestE2ETxnNotify: with notify_level = "warnings" a deployment's notify
// list hears of a rollback asked for (warning) and of a commit that came
// too late (error), each once.
func TestE2ETxnNotify(t *testing.T) {
	var mu sync.Mutex
	var events []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Event, Level string }
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &m)
		mu.Lock()
		events = append(events, m.Event+"/"+m.Level)
		mu.Unlock()
	}))
	defer srv.Close()
	got := func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(events, " ")
	}
	p := txProjectWith(t, fmt.Sprintf("notify \"webhook\" \"ops\" {\n  url = %q\n}\n", srv.URL+"/hook"),
		"  notify = [notify.webhook.ops]\n  notify_level = \"warnings\"\n")
	p.must("rollback", "begin", "--timeout", "1m")
	p.must("rollback", "to-version", "v2")
	p.must("rollback", "rollback")
	if e := got(); e != "deployment.rolled_back/warning" {
		t.Fatalf("after rollback rollback: %q", e)
	}
	p.must("rollback", "begin", "--timeout", "1s")
	time.Sleep(1500 * time.Millisecond)
	if r := p.run("rollback", "commit"); r.code != 4 {
		t.Fatalf("late commit: %s", r)
	}
	p.waitState("rolled-back", 90*time.Second)
	if e := got(); !strings.Contains(e, "deployment.commit_refused/error") || strings.Count(e, "commit_refused") != 1 {
		t.Errorf("after a late commit: %q", e)
	}
}
