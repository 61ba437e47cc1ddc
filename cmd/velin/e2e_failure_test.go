package main

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

const failingPlan = `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "files" "site" {
  paths = ["./site"]
}
step "exec" "on" {
  command = ["sh", "-c", "touch ./maintenance.flag"]
}
step "exec" "broken" {
  command = ["sh", "-c", "echo about to fail; exit 3"]
}
step "exec" "off" {
  command = ["rm", "-f", "./maintenance.flag"]
}
backup "nightly" {
  sources = [source.files.site]
  target  = target.local.disk
  before  = [step.exec.on, step.exec.broken]
  finally = [step.exec.off]
}
backup "other" {
  sources = [source.files.site]
  target  = target.local.disk
}
`

func TestFailureSkipsDependentsAndFinallyRuns(t *testing.T) {
	p := newProject(t, failingPlan)
	p.write("site/a.txt", "a")
	r := p.run("apply", "-auto-approve")
	if r.code != 1 {
		t.Fatalf("a failing step must make apply exit 1: %s", r)
	}
	if _, err := os.Stat(p.path("maintenance.flag")); err == nil {
		t.Fatal("the finally step did not run after the failure")
	}
	for _, want := range []string{"exit", "3", "skipped", "backup.nightly/source.files.site"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("output lacks %q: %s", want, r)
		}
	}
	snaps := p.snapshots()
	if len(snaps) != 1 || snaps[0].Backup != "other" {
		t.Fatalf("the independent backup must still run, the failed one must not: %+v", snaps)
	}
}

const slowPlan = `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "files" "site" {
  paths = ["./site"]
}
step "exec" "on" {
  command = ["sh", "-c", "touch ./maintenance.flag; touch ./started; sleep 60"]
}
step "exec" "off" {
  command = ["rm", "-f", "./maintenance.flag"]
}
backup "nightly" {
  sources = [source.files.site]
  target  = target.local.disk
  before  = [step.exec.on]
  finally = [step.exec.off]
}
`

func TestInterruptRunsFinally(t *testing.T) {
	p := newProject(t, slowPlan)
	p.write("site/a.txt", "a")
	cmd := exec.Command(velinBin, "apply", "-auto-approve")
	cmd.Dir, cmd.Env = p.dir, p.env
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(p.path("started")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the before step never started:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if err == nil {
		t.Fatalf("an interrupted apply must exit non-zero:\n%s", out.String())
	}
	if _, err := os.Stat(p.path("maintenance.flag")); err == nil {
		t.Fatalf("the finally step did not run after Ctrl-C:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "cancelled") {
		t.Errorf("the summary should say what was cancelled:\n%s", out.String())
	}
	// The repository is consistent and usable (without the slow step).
	p.write("velin.hcl", strings.Replace(slowPlan, "sleep 60", "true", 1))
	p.must("backup", "create", "--backup", "nightly")
	p.must("backup", "verify", "all")
}

func TestMissingPassphraseIsExplained(t *testing.T) {
	p := newProject(t, failingPlan)
	p.env = withoutEnv(p.env, "VELIN_PASSPHRASE")
	r := p.run("validate")
	if r.code != 1 || !strings.Contains(r.stderr, "VELIN_PASSPHRASE") || !strings.Contains(r.stderr, "velin.hcl:") {
		t.Fatalf("a missing passphrase must be a located error naming the variable: %s", r)
	}
}

func withoutEnv(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

func TestDiagnosticsAreLocated(t *testing.T) {
	p := newProject(t, strings.Replace(failingPlan, "paths = [", "pathz = [", 1))
	r := p.run("plan")
	if r.code != 1 {
		t.Fatalf("a bad argument must fail: %s", r)
	}
	for _, want := range []string{"velin.hcl:7:3", "pathz", `Did you mean "paths"?`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("diagnostic lacks %q:\n%s", want, r.stderr)
		}
	}
	if _, err := os.Stat(p.path("backups")); err == nil {
		t.Error("a configuration error left a repository behind")
	}
}

func TestHelpHasExamples(t *testing.T) {
	p := newProject(t, failingPlan)
	cmds := [][]string{{}, {"init"}, {"validate"}, {"plan"}, {"apply"}, {"graph"}, {"version"},
		{"backup"}, {"backup", "create"}, {"backup", "list"}, {"backup", "show"}, {"backup", "inspect"},
		{"backup", "restore"}, {"backup", "verify"}, {"backup", "delete"}, {"backup", "prune"}}
	for _, c := range cmds {
		r := p.must(append(c, "--help")...)
		if !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("velin %s --help has no example", strings.Join(c, " "))
		}
	}
}

func TestGraphAndInit(t *testing.T) {
	p := newProject(t, failingPlan)
	r := p.must("graph")
	if !strings.Contains(r.stdout, "digraph") || !strings.Contains(r.stdout, "backup.nightly/finally/step.exec.off") {
		t.Errorf("graph output:\n%s", r.stdout)
	}
	q := newProject(t, "")
	os.Remove(q.path("velin.hcl"))
	q.must("init")
	q.must("validate")
	if r := q.run("init"); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("init must not overwrite: %s", r)
	}
}
