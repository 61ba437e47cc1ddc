package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const daemonPlan = `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "files" "site" {
  paths = ["./site"]
}
backup "often" {
  sources  = [source.files.site]
  target   = target.local.disk
  schedule = "every 1s"
  verify { checksums = true }
}
`

// daemonProc is a running `velin daemon` whose JSON log lines are read
// as they come.
type daemonProc struct {
	t     testing.TB
	cmd   *exec.Cmd
	lines chan map[string]any
	mu    sync.Mutex
	log   strings.Builder // every line, for failure messages; under mu
}

// logText is every line the daemon has logged so far.
func (d *daemonProc) logText() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.String()
}

func startDaemon(t testing.TB, p *project, args ...string) *daemonProc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, velinBin, append([]string{"daemon", "--log-format", "json", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Dir = p.dir
	cmd.Env = append(p.env, "VELIN_STATE_DIR="+filepath.Join(p.dir, "state"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemonProc{t: t, cmd: cmd, lines: make(chan map[string]any, 1000)}
	go d.read(stderr)
	return d
}

func (d *daemonProc) read(r io.Reader) {
	defer close(d.lines)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		d.mu.Lock()
		d.log.WriteString(sc.Text() + "\n")
		d.mu.Unlock()
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			m = map[string]any{"msg": "(not json) " + sc.Text()}
		}
		d.lines <- m
	}
}

// await returns the next log line with message msg, failing if the daemon
// exits first or a minute passes (a guard against hanging, not a timing).
func (d *daemonProc) await(msg string) map[string]any {
	d.t.Helper()
	guard := time.After(time.Minute)
	for {
		select {
		case m, ok := <-d.lines:
			if !ok {
				d.t.Fatalf("daemon ended before logging %q:\n%s", msg, d.logText())
			}
			if m["msg"] == msg {
				return m
			}
		case <-guard:
			d.t.Fatalf("no %q in the daemon's log:\n%s", msg, d.logText())
		}
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestDaemonRunsSchedulesAndStops(t *testing.T) {
	p := newProject(t, daemonPlan)
	p.write("site/index.html", "<h1>daemon</h1>")
	d := startDaemon(t, p)
	addr, _ := d.await("serving /healthz and /metrics")["address"].(string)
	if done := d.await("backup done"); done["backup"] != "often" {
		t.Fatalf("backup done: %v", done)
	}
	if snaps := p.snapshots(); len(snaps) == 0 || snaps[0].Backup != "often" {
		t.Fatalf("snapshots %+v, want one of backup often", snaps)
	}
	code, body := httpGet(t, "http://"+addr+"/healthz")
	if code != 200 || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	_, metrics := httpGet(t, "http://"+addr+"/metrics")
	for _, want := range []string{`velin_backup_runs_total{backup="often",result="ok"}`, `velin_backup_snapshots_total{backup="often"}`,
		`velin_backup_verify_total{backup="often",status="ok"}`, `velin_backup_last_success_timestamp_seconds{backup="often"}`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, metrics)
		}
	}

	p.write("velin.hcl", strings.Replace(daemonPlan, "every 1s", "every soon", 1))
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	refused := d.await("reload refused: the previous plan stays")
	if e, _ := refused["error"].(string); !strings.Contains(e, "velin.hcl:12:14") {
		t.Errorf("reload error %q does not point at the schedule", e)
	}
	d.await("backup done") // the old plan still runs

	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	d.await("stopped")
	for range d.lines { // read to the end before Wait
	}
	if err := d.cmd.Wait(); err != nil {
		t.Fatalf("daemon exit after SIGTERM: %v\n%s", err, d.logText())
	}
	if searchable(testPassphrase) && strings.Contains(d.logText(), testPassphrase) {
		t.Error("the passphrase is in the daemon's log")
	}
}

func TestDaemonRefusesNonLoopback(t *testing.T) {
	p := newProject(t, daemonPlan)
	p.write("site/index.html", "x")
	r := p.run("daemon", "--listen", "0.0.0.0:0")
	if r.code != 1 || !strings.Contains(r.stderr, "not a loopback address") {
		t.Fatalf("daemon --listen 0.0.0.0:0: %s", r)
	}
}
