package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// deployProject is examples/deploy's plan in a temporary directory, on a
// free port, with the example's 3 s health timeout (the api, started in the
// background, must answer within it on a loaded machine), and a builder of
// the example's api.
type deployProject struct {
	*project
	addr string
	bins string // built api binaries: healthy and unhealthy
}

func newDeployProject(t *testing.T) *deployProject {
	t.Helper()
	plan, err := os.ReadFile("../../examples/deploy/velin.hcl")
	if err != nil {
		t.Fatal(err)
	}
	p := &deployProject{project: newProject(t, string(plan)), addr: freeAddr(t), bins: t.TempDir()}
	p.env = append(p.env, "VELIN_VAR_addr="+p.addr, "VELIN_STATE_DIR="+p.path("state"))
	for _, healthy := range []string{"true", "false"} {
		cmd := exec.Command("go", "build", "-ldflags", "-X main.healthy="+healthy, "-o", filepath.Join(p.bins, healthy, "api"), "../../examples/deploy/api")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build the example api: %v\n%s", err, out)
		}
	}
	t.Cleanup(func() { // stop whatever release runs
		stop := exec.Command("sh", "./current/api/stop.sh")
		stop.Dir = p.path("srv")
		_ = stop.Run()
	})
	return p
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// build writes build/api: the api (healthy or not), its scripts and the
// first n migrations of the example.
func (p *deployProject) build(healthy bool, n int) {
	p.t.Helper()
	bin, err := os.ReadFile(filepath.Join(p.bins, map[bool]string{true: "true", false: "false"}[healthy], "api"))
	if err != nil {
		p.t.Fatal(err)
	}
	os.RemoveAll(p.path("build"))
	p.write("build/api/api", string(bin))
	if err := os.Chmod(p.path("build/api/api"), 0o755); err != nil {
		p.t.Fatal(err)
	}
	for _, f := range []string{"start.sh", "stop.sh"} {
		b, _ := os.ReadFile("../../examples/deploy/files/" + f)
		p.write("build/api/"+f, string(b))
	}
	for i := 1; i <= n; i++ {
		name := []string{"", "0001.sql", "0002.sql"}[i]
		b, _ := os.ReadFile("../../examples/deploy/files/migrations/" + name)
		p.write("build/api/migrations/"+name, string(b))
	}
}

// get returns the body of the service's / page.
func (p *deployProject) get() string {
	p.t.Helper()
	resp, err := http.Get("http://" + p.addr + "/")
	if err != nil {
		p.t.Fatalf("the service does not answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

func (p *deployProject) markers() map[string][]string {
	p.t.Helper()
	var rows []struct {
		Version string   `json:"version"`
		Markers []string `json:"markers"`
	}
	if err := json.Unmarshal([]byte(p.must("rollback", "list", "--json").stdout), &rows); err != nil {
		p.t.Fatal(err)
	}
	m := map[string][]string{}
	for _, r := range rows {
		m[r.Version] = r.Markers
	}
	return m
}

// TestE2EToVersionFailingHealthReturns: a release whose health check fails
// is stopped, the one before put back and started (exit 3), and marked bad.
func TestE2EToVersionFailingHealthReturns(t *testing.T) {
	p := newDeployProject(t)
	p.write("config/app.conf", "greeting=one\n")
	p.build(true, 1)
	p.must("rollback", "create-version", "v1 - good")
	p.must("rollback", "to-version", "v1")
	p.build(false, 1)
	p.must("rollback", "create-version", "v2 - broken")
	start := time.Now()
	r := p.run("rollback", "to-version", "v2")
	if r.code != 3 || !strings.Contains(r.stderr, "returned to v1, which is running and healthy") {
		t.Fatalf("to-version v2: %s", r)
	}
	t.Logf("failed deploy and return took %s", time.Since(start))
	if got := p.get(); got != "one (schema 1)" {
		t.Errorf("the service says %q", got)
	}
	m := p.markers()
	if strings.Join(m["v2"], ",") != "bad" || !strings.Contains(strings.Join(m["v1"], ","), "current") {
		t.Errorf("markers: %v", m)
	}
	if link, _ := os.Readlink(p.path("srv/current")); link != "releases/v1" {
		t.Errorf("current -> %s", link)
	}
}

// TestE2EToSnapshotRestoresConfigAndMigratesDown: going back to a snapshot
// migrates the schema down with the newer release's files, then restores
// the snapshot's config files.
func TestE2EToSnapshotRestoresConfigAndMigratesDown(t *testing.T) {
	p := newDeployProject(t)
	p.write("config/app.conf", "greeting=one\n")
	p.build(true, 1)
	p.must("rollback", "create-version", "v1 - one migration")
	p.must("rollback", "to-version", "v1")
	var snap struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal([]byte(p.must("rollback", "create-snapshot", "Pre-Upgrade Snapshot", "--json").stdout), &snap); err != nil {
		t.Fatal(err)
	}
	p.build(true, 2)
	p.write("config/app.conf", "greeting=two\n")
	p.must("rollback", "create-version", "v2 - two migrations")
	p.must("rollback", "to-version", "v2")
	if got := p.get(); got != "two (schema 2)" {
		t.Fatalf("after v2 the service says %q", got)
	}
	r := p.must("rollback", "to-version", snap.Version)
	if !strings.Contains(r.stderr, "migrate: 2 -> 1") {
		t.Errorf("no down migration:\n%s", r)
	}
	if got := p.get(); got != "one (schema 1)" {
		t.Errorf("after the rollback the service says %q", got)
	}
	if b, _ := os.ReadFile(p.path("config/app.conf")); string(b) != "greeting=one\n" {
		t.Errorf("config = %q", b)
	}
}

// TestE2EDeployNotify: a deployment's notify list hears of a to-version
// that returned to the release before (level error, sent by default) and,
// with notify_level = "all", of a deploy done (level info).
func TestE2EDeployNotify(t *testing.T) {
	h := newHookReceiver(t)
	p := newDeployProject(t)
	p.env = append(p.env, "HOOK_URL="+h.URL+"/"+hookToken, "HOOK_SECRET="+hookSecret)
	plan, _ := os.ReadFile(p.path("velin.hcl"))
	withNotify := strings.Replace(string(plan), `  keep      = 3`,
		"  keep      = 3\n  notify    = [notify.webhook.ops]\n  notify_level = \"LEVEL\"", 1) +
		"notify \"webhook\" \"ops\" {\n  url    = env(\"HOOK_URL\")\n  secret = env(\"HOOK_SECRET\")\n}\n"
	p.write("velin.hcl", strings.Replace(withNotify, "LEVEL", "errors", 1))
	p.write("config/app.conf", "greeting=one\n")
	p.build(true, 1)
	p.must("rollback", "create-version", "v1 - good")
	noSecrets(t, p.must("rollback", "to-version", "v1"))
	p.build(false, 1)
	p.must("rollback", "create-version", "v2 - broken")
	r := p.run("rollback", "to-version", "v2")
	if r.code != 3 {
		t.Fatalf("to-version v2: %s", r)
	}
	noSecrets(t, r)
	msgs, bad := h.got()
	if bad != 0 || len(msgs) != 1 {
		t.Fatalf("%d messages (%d badly signed), want 1 (the return; a deploy done is info): %v", len(msgs), bad, msgs)
	}
	if m := msgs[0]; m["event"] != "deployment.returned" || m["level"] != "error" || m["block"] != "deployment.api" ||
		!strings.Contains(m["summary"].(string), "v2") || !strings.Contains(m["error"].(string), "health") {
		t.Errorf("message %v", m)
	}
	p.write("velin.hcl", strings.Replace(withNotify, "LEVEL", "all", 1))
	p.build(true, 2)
	p.must("rollback", "create-version", "v3 - good")
	p.must("rollback", "to-version", "v3")
	p.must("rollback", "to-version", "v3") // already current: nothing to tell
	msgs, _ = h.got()
	if len(msgs) != 2 || msgs[1]["event"] != "deployment.succeeded" || msgs[1]["level"] != "info" {
		t.Errorf("with notify_level all, a deploy done: %v", msgs)
	}
}

// TestE2EBackupListLabelsDeploymentVersions: a deployment's versions share
// the backup's repository; `backup list` leaves them out (and says so)
// unless --deployments, which labels them in a KIND column, and `latest`
// of `backup restore` is the newest backup, never a newer version.
func TestE2EBackupListLabelsDeploymentVersions(t *testing.T) {
	p := txProjectWith(t, "source \"files\" \"data\" {\n  paths = [\"./data\"]\n}\n"+
		"backup \"b\" {\n  sources = [source.files.data]\n  target  = target.local.disk\n}\n", "")
	p.write("data/real.txt", "a real backup\n")
	p.must("backup", "create")
	p.write("build/app.txt", "release v3\n")
	p.must("rollback", "create-version", "v3 - newer than the backup")

	r := p.must("backup", "list")
	if strings.Contains(r.stdout, "deployment.app") || !strings.Contains(r.stdout, "3 deployment version(s) not shown") {
		t.Errorf("backup list shows deployment versions or does not say it hides them:\n%s", r.stdout)
	}
	r = p.must("backup", "list", "--deployments")
	if !strings.HasPrefix(r.stdout, "KIND") || strings.Count(r.stdout, "deployment ") != 3 || !strings.Contains(r.stdout, "backup ") {
		t.Errorf("backup list --deployments:\n%s", r.stdout)
	}
	var rows []struct {
		Backup, Kind string
	}
	if err := json.Unmarshal([]byte(p.must("backup", "list", "--json", "--deployments").stdout), &rows); err != nil || len(rows) != 4 {
		t.Fatalf("backup list --json --deployments: %v %+v", err, rows)
	}
	for _, row := range rows {
		if (row.Kind == "deployment") != strings.HasPrefix(row.Backup, "deployment.") {
			t.Errorf("row %+v", row)
		}
	}
	if got := len(p.snapshots()); got != 1 {
		t.Errorf("backup list --json lists %d snapshots, want the 1 backup", got)
	}
	p.must("backup", "restore", "latest", "--to", p.path("restored"), "--yes")
	if b, err := os.ReadFile(p.path("restored/data/real.txt")); err != nil || string(b) != "a real backup\n" {
		out, _ := exec.Command("find", p.path("restored")).CombinedOutput()
		t.Errorf("restore latest did not restore the backup (%v):\n%s", err, out)
	}
}
