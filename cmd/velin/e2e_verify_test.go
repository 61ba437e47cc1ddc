package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// assertPlan is a plan backing up a sqlite database with one assertion.
func assertPlan(sql string) string {
	return `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "sqlite" "app" {
  path = "./app.db"
}
backup "db" {
  sources = [source.sqlite.app]
  target  = target.local.disk
  after   = [step.exec.after]
  verify {
    test_restore = true
    assert "customers" {
      source = source.sqlite.app
      sql    = "` + sql + `"
    }
  }
  retention {
    keep_last = 1
  }
}
step "exec" "after" {
  command = ["sh", "-c", "touch after-ran"]
}
`
}

func newAssertProject(t *testing.T, sql string) *project {
	p := newProject(t, assertPlan(sql))
	p.env = append(p.env, "TMPDIR="+p.path("tmp"))
	if err := os.MkdirAll(p.path("tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	sqliteExec(t, p.path("app.db"), "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)",
		"INSERT INTO customers (name) VALUES ('ada'), ('bob')")
	return p
}

// verificationOf returns the verification object of snapshot id from
// `backup show --json`.
func verificationOf(t *testing.T, p *project, id string) verificationJSON {
	t.Helper()
	r := p.must("backup", "show", id, "--json")
	var s struct {
		Verification *verificationJSON `json:"verification"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || s.Verification == nil {
		t.Fatalf("backup show --json: %v\n%s", err, r.stdout)
	}
	return *s.Verification
}

type verificationJSON struct {
	Status string `json:"status"`
	Checks []struct {
		Kind    string `json:"kind"`
		Source  string `json:"source"`
		Status  string `json:"status"`
		Results []struct {
			Name   string `json:"name"`
			Kind   string `json:"kind"`
			Passed bool   `json:"passed"`
			Detail string `json:"detail"`
		} `json:"results"`
	} `json:"checks"`
}

// result returns the passed flag and detail of the named check result.
func (v verificationJSON) result(name string) (bool, string, bool) {
	for _, c := range v.Checks {
		for _, r := range c.Results {
			if r.Name == name {
				return r.Passed, r.Detail, true
			}
		}
	}
	return false, "", false
}

// A passing assertion: exit 0, the manifest records it, the output and
// the JSON events show it.
func TestE2EAssertPasses(t *testing.T) {
	p := newAssertProject(t, "SELECT count(*) = 2 FROM customers")
	plan := p.must("plan")
	wantIn(t, "plan", plan.stdout, `assert "customers" on source.sqlite.app`)
	r := p.must("backup", "create")
	wantIn(t, "backup create", r.stdout, "ok     assert customers: returned true", "ok     counts: 1 files", "test restore: sqlite.app: ok:", "1 assertion(s) passed")
	snaps := p.snapshots()
	v := verificationOf(t, p, snaps[0].ID)
	if passed, detail, ok := v.result("assert customers"); !ok || !passed || detail != "returned true" || v.Status != "ok" {
		t.Errorf("verification = %+v", v)
	}
	if passed, _, ok := v.result("counts"); !ok || !passed {
		t.Errorf("no passed count check: %+v", v)
	}
	list := p.must("backup", "list")
	wantIn(t, "backup list", list.stdout, "VERIFIED", "yes")
	// --json: the summary's snapshot carries the checks.
	js := p.must("backup", "create", "--json")
	last := js.stdout[strings.LastIndex(strings.TrimSpace(js.stdout), "\n")+1:]
	wantIn(t, "summary", last, `"status":"ok"`, `"name":"assert customers","kind":"assert","passed":true`)
}

// A failing assertion: exit 4, the snapshot is saved but not verified
// (list, show), retention and the after step do not run, and the
// --json summary says not_verified with the failed check.
func TestE2EAssertFails(t *testing.T) {
	p := newAssertProject(t, "SELECT count(*) = 2 FROM customers")
	p.must("backup", "create")
	if err := os.Remove(p.path("after-ran")); err != nil {
		t.Fatal(err)
	}
	p.write("velin.hcl", assertPlan("SELECT count(*) > 5 FROM customers"))
	r := p.run("backup", "create")
	if r.code != 4 {
		t.Fatalf("a failed assertion: want exit 4: %s", r)
	}
	wantIn(t, "backup create", r.stdout, "NOT VERIFIED", "FAILED assert customers: returned 0, not true", "ok     counts:")
	snaps := p.snapshots()
	if len(snaps) != 2 {
		t.Fatalf("want both snapshots kept (retention does not run after a failed verification), got %d", len(snaps))
	}
	v := verificationOf(t, p, snaps[1].ID)
	if passed, detail, ok := v.result("assert customers"); !ok || passed || detail != "returned 0, not true" || v.Status != "failed" {
		t.Errorf("verification = %+v", v)
	}
	if _, err := os.Stat(p.path("after-ran")); err == nil {
		t.Error("the after step ran after a failed assertion")
	}
	list := p.must("backup", "list")
	wantIn(t, "backup list", list.stdout, "FAILED")
	show := p.must("backup", "show", snaps[1].ID)
	wantIn(t, "backup show", show.stdout, "NOT VERIFIED", "FAILED assert customers")
	js := p.run("backup", "create", "--json")
	if js.code != 4 {
		t.Fatalf("--json: want exit 4: %s", js)
	}
	last := js.stdout[strings.LastIndex(strings.TrimSpace(js.stdout), "\n")+1:]
	wantIn(t, "summary", last, `"status":"not_verified"`, `"exit_code":4`, `"name":"assert customers","kind":"assert","passed":false,"detail":"returned 0, not true"`)
	var event string
	for _, line := range strings.Split(js.stdout, "\n") {
		if strings.Contains(line, `"type":"snapshot"`) {
			event = line
		}
	}
	wantIn(t, "snapshot event", event, `"verified":"failed"`, `"checks":[`, `"name":"assert customers","kind":"assert","passed":false`)
}

// `backup verify ID --test-restore` runs the plan's assertions again and
// records the results in the manifest; without a plan (-r), counts only.
func TestE2EVerifyTestRestoreRerunsAsserts(t *testing.T) {
	p := newAssertProject(t, "SELECT count(*) = 2 FROM customers")
	p.must("backup", "create")
	id := p.snapshots()[0].ID
	p.write("velin.hcl", assertPlan("SELECT count(*) = 3 FROM customers"))
	r := p.run("backup", "verify", id, "--test-restore")
	if r.code != 4 {
		t.Fatalf("verify with a failing assertion: want exit 4: %s", r)
	}
	wantIn(t, "verify", r.stdout, "NOT VERIFIED", "FAILED assert customers: returned 0, not true")
	if v := verificationOf(t, p, id); v.Status != "failed" {
		t.Errorf("the failed re-verification is not recorded: %+v", v)
	}
	wantIn(t, "backup list", p.must("backup", "list").stdout, "FAILED")
	p.write("velin.hcl", assertPlan("SELECT count(*) = 2 FROM customers"))
	js := p.must("backup", "verify", id, "--test-restore", "--json")
	wantIn(t, "verify --json", js.stdout, `"ok":true`, `"name":"assert customers","kind":"assert","passed":true`)
	if v := verificationOf(t, p, id); v.Status != "ok" {
		t.Errorf("the passing re-verification is not recorded: %+v", v)
	}
	// Without a plan: the counts only.
	plain := p.must("backup", "verify", id, "--test-restore", "-r", p.path("backups"))
	wantIn(t, "verify -r", plain.stdout, "ok     counts:")
	if strings.Contains(plain.stdout, "assert customers") {
		t.Errorf("verify -r ran an assertion without a plan:\n%s", plain.stdout)
	}
}

// Configuration mistakes in assert blocks are diagnostics with ranges.
func TestE2EAssertConfigErrors(t *testing.T) {
	p := newAssertProject(t, "SELECT 1")
	p.write("velin.hcl", strings.Replace(assertPlan("SELECT 1"), "test_restore = true", "checksums = true", 1))
	r := p.run("validate")
	if r.code != 1 {
		t.Fatalf("assert without test_restore: %s", r)
	}
	wantIn(t, "validate", r.stdout+r.stderr, "velin.hcl:15:5", "assert needs test_restore", "Add test_restore = true")
	p.write("velin.hcl", strings.Replace(assertPlan("SELECT 1"), `sql    = "SELECT 1"`, `keys = "session:*"`, 1))
	r = p.run("plan")
	if r.code != 1 {
		t.Fatalf("keys on sqlite: %s", r)
	}
	wantIn(t, "plan", r.stdout+r.stderr, "velin.hcl:15:5", "Invalid assert for source.sqlite.app", "this source checks SQL")
}

// The scratch directory of a test restore killed with its process is
// removed by the next test restore once it is an hour old; a young one,
// or one of a live process, stays.
func TestE2ETestRestoreRemovesStaleScratch(t *testing.T) {
	p := newAssertProject(t, "SELECT 1")
	old := time.Now().Add(-2 * time.Hour)
	stale := p.path("tmp/velin-test-restore-999999999-123")
	young := p.path("tmp/velin-test-restore-999999998-456")
	live := p.path("tmp/velin-test-restore-1-789") // pid 1 is alive
	for _, d := range []string{stale, young, live} {
		if err := os.MkdirAll(filepath.Join(d, "x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{stale, live} {
		if err := os.Chtimes(d, old, old); err != nil {
			t.Fatal(err)
		}
	}
	r := p.must("backup", "create")
	wantIn(t, "backup create", r.stderr, "removed scratch directories of interrupted test restores: velin-test-restore-999999999-123")
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale scratch directory is still there: %v", err)
	}
	for _, d := range []string{young, live} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed: %v", d, err)
		}
	}
	// The test restore's own scratch directory is gone after the run.
	entries, _ := os.ReadDir(p.path("tmp"))
	if len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("tmp holds %v, want only the two kept", names)
	}
}
