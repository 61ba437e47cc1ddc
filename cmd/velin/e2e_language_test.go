package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runWithin runs velin in p's directory and fails the test if it takes
// longer than limit (the process is then killed).
func (p *project) runWithin(limit time.Duration, args ...string) result {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, velinBin, args...)
	cmd.Dir, cmd.Env = p.dir, p.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		p.t.Fatalf("velin %s still running after %s (killed)", strings.Join(args, " "), time.Since(start).Round(time.Second))
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatal(err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// TestE2ELanguageManyLocals: 20,000 chained locals validate in linear time.
// The old evaluation rebuilt a context of every local for each one: 2,000
// took 2.6 s, 16,000 took 110 s; 20,000 would take minutes.
func TestE2ELanguageManyLocals(t *testing.T) {
	var b strings.Builder
	b.WriteString("locals {\n  l0 = 1\n")
	const n = 20000
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  l%d = local.l%d + 1\n", i, i-1)
	}
	b.WriteString("}\n")
	fmt.Fprintf(&b, "locals {\n  last = local.l%d\n}\n", n-1)
	p := newProject(t, b.String())
	start := time.Now()
	r := p.runWithin(60*time.Second, "validate")
	if r.code != 0 {
		t.Fatalf("validate: %s", r)
	}
	t.Logf("%d locals validated in %s", n, time.Since(start).Round(time.Millisecond))
}

// TestE2ELanguageDeepNesting: an expression nested 200,000 deep is a
// diagnostic with its position, not a Go stack overflow.
func TestE2ELanguageDeepNesting(t *testing.T) {
	const d = 200000
	for name, expr := range map[string]string{
		"brackets": strings.Repeat("[", d) + "1" + strings.Repeat("]", d),
		"unary":    strings.Repeat("-", d) + "1",
	} {
		t.Run(name, func(t *testing.T) {
			p := newProject(t, "locals {\n  x = "+expr+"\n}\n")
			r := p.runWithin(60*time.Second, "validate")
			if r.code != 1 || !strings.Contains(r.stderr, "velin.hcl:2:") || !strings.Contains(r.stderr, "Nesting too deep") {
				t.Fatalf("want a nesting diagnostic: exit %d\n%.600s", r.code, r.stderr)
			}
			if strings.Contains(r.stderr, "goroutine") {
				t.Fatalf("crashed:\n%.600s", r.stderr)
			}
		})
	}
	p := newProject(t, "variable \"v\" {\n  type = list(any)\n}\n")
	p.write("deep.hcl", "v = "+strings.Repeat("(", d)+"1"+strings.Repeat(")", d)+"\n")
	if r := p.runWithin(60*time.Second, "validate", "-var-file", "deep.hcl"); r.code != 1 || !strings.Contains(r.stderr, "deep.hcl:1:") || !strings.Contains(r.stderr, "nested more than") {
		t.Fatalf("a deeply nested -var-file: exit %d\n%.600s", r.code, r.stderr)
	}
}

// slowLoadingPlan takes far longer to load than the test waits (tens of seconds).
const slowLoadingPlan = `locals {
  slow = length([for i in range(400) : length([for j in range(1000) : join("", [for k in range(10) : "a"])])])
}
`

// TestE2ELanguageInterrupt: Ctrl-C (SIGINT) and SIGTERM stop validate and
// plan at once, with exit code 130, even while a large plan is loading.
func TestE2ELanguageInterrupt(t *testing.T) {
	for _, c := range []struct {
		cmd string
		sig syscall.Signal
	}{{"validate", syscall.SIGINT}, {"plan", syscall.SIGTERM}, {"validate", syscall.SIGTERM}} {
		t.Run(c.cmd+"-"+c.sig.String(), func(t *testing.T) {
			p := newProject(t, slowLoadingPlan)
			cmd := exec.Command(velinBin, c.cmd)
			cmd.Dir, cmd.Env = p.dir, p.env
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			time.Sleep(1500 * time.Millisecond)
			if err := cmd.Process.Signal(c.sig); err != nil {
				t.Fatalf("%v (velin exited before the signal: %s)", err, errb.String())
			}
			sent := time.Now()
			select {
			case err := <-done:
				ee, ok := err.(*exec.ExitError)
				if !ok || ee.ExitCode() != 130 || !strings.Contains(errb.String(), "interrupted") {
					t.Fatalf("velin %s after %s: %v, want exit 130 and \"interrupted\"; stderr:\n%s", c.cmd, c.sig, err, errb.String())
				}
				t.Logf("stopped %s after the signal", time.Since(sent).Round(time.Millisecond))
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("velin %s still running 5 s after %s", c.cmd, c.sig)
			}
		})
	}
}

// stutter finds an error line whose message repeats an operation:
// "prune: prune: …", "open repository P: open P: …" (two ": "-separated
// parts in a row that are equal, or begin and end with the same words).
func stutter(out string) string {
	for _, line := range strings.Split(out, "\n") {
		parts := strings.Split(line, ": ")
		for i := 0; i+1 < len(parts); i++ {
			a, b := strings.Fields(parts[i]), strings.Fields(parts[i+1])
			if len(a) == 0 || len(b) == 0 {
				continue
			}
			if parts[i] == parts[i+1] || (a[0] == b[0] && a[len(a)-1] == b[len(b)-1]) {
				return line
			}
		}
	}
	return ""
}

// TestE2ELanguageErrorsDoNotStutter runs commands that fail in several ways
// and checks that no error message repeats its prefix.
func TestE2ELanguageErrorsDoNotStutter(t *testing.T) {
	p := seedIssueProject(t)
	p.must("apply", "-auto-approve")
	wrong := append(append([]string(nil), p.env...), "VELIN_PASSPHRASE=not-the-passphrase")
	good := p.env
	for _, c := range []struct {
		env  []string
		args []string
	}{
		{wrong, []string{"backup", "list"}},
		{wrong, []string{"backup", "show", "latest"}},
		{wrong, []string{"backup", "verify", "all"}},
		{wrong, []string{"backup", "restore", "latest", "--to", "r", "--yes"}},
		{wrong, []string{"backup", "create"}},
		{wrong, []string{"backup", "prune", "--yes"}},
		{wrong, []string{"key", "list"}},
		{wrong, []string{"apply", "-auto-approve"}},
		{good, []string{"backup", "list", "-r", p.path("no-such-repo")}},
		{good, []string{"backup", "show", "no-such-snapshot"}},
		{good, []string{"backup", "restore", "latest", "--source", "files.nope", "--to", "r", "--yes"}},
	} {
		p.env = c.env
		r := p.run(c.args...)
		if r.code == 0 {
			t.Errorf("velin %s succeeded: %s", strings.Join(c.args, " "), r)
			continue
		}
		if line := stutter(r.stderr + r.stdout); line != "" {
			t.Errorf("velin %s stutters:\n%s", strings.Join(c.args, " "), line)
		}
	}
	if got := stutter("Error: prune: prune: boom\n"); got == "" {
		t.Error("stutter misses prune: prune:")
	}
	if got := stutter("Error: open repository /x/b: open /x/b: wrong passphrase\n"); got == "" {
		t.Error("stutter misses open repository P: open P:")
	}
}

// TestE2ELanguageApplyWithoutTerminal: apply with no answer on stdin (cron,
// CI) does nothing and says how to approve.
func TestE2ELanguageApplyWithoutTerminal(t *testing.T) {
	p := seedIssueProject(t)
	r := p.runInput("", "apply")
	if r.code != 1 || !strings.Contains(r.stderr, "-auto-approve") || !strings.Contains(r.stderr, "nothing was done") {
		t.Fatalf("apply without an answer must say how to approve: %s", r)
	}
	if _, err := os.Stat(p.path("backups")); err == nil {
		t.Fatal("apply without an answer created the repository")
	}
	if r := p.runInput("no\n", "apply"); r.code != 1 || strings.Contains(r.stderr, "-auto-approve") {
		t.Fatalf("an explicit no is not a missing answer: %s", r)
	}
}

// TestE2ELanguageDependsOnEverywhere: depends_on is accepted on sources,
// steps and targets; its edges order the run; a cycle through it is an
// error with file:line.
func TestE2ELanguageDependsOnEverywhere(t *testing.T) {
	plan := `target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
  depends_on = [step.exec.prepare]
}

source "files" "a" {
  paths = ["./a"]
}

source "files" "b" {
  paths      = ["./b"]
  depends_on = [source.files.a]
}

step "exec" "warm" {
  command = ["sh", "-c", "echo warm >> order.txt"]
}

step "exec" "prepare" {
  command    = ["sh", "-c", "echo prepare >> order.txt"]
  depends_on = [step.exec.warm]
}

backup "x" {
  sources = [source.files.a, source.files.b]
  target  = target.local.disk
  before  = [step.exec.warm, step.exec.prepare]
}
`
	p := newProject(t, plan)
	p.write("a/1", "a\n")
	p.write("b/1", "b\n")
	p.must("validate")
	g := p.must("graph")
	if !strings.Contains(g.stdout, `"backup.x/source.files.a" -> "backup.x/source.files.b"`) {
		t.Fatalf("source.files.b does not wait for source.files.a:\n%s", g.stdout)
	}
	p.must("apply", "-auto-approve")
	if b, _ := os.ReadFile(p.path("order.txt")); string(b) != "warm\nprepare\n" {
		t.Fatalf("steps ran as %q", b)
	}

	p.write("velin.hcl", strings.Replace(plan, "  paths = [\"./a\"]\n", "  paths = [\"./a\"]\n  depends_on = [source.files.b]\n", 1))
	r := p.run("validate")
	if r.code != 1 || !strings.Contains(r.stderr, "Dependency cycle") || !strings.Contains(r.stderr, "velin.hcl:9:") ||
		!strings.Contains(r.stderr, "source.files.a (velin.hcl:7)") || !strings.Contains(r.stderr, "source.files.b (velin.hcl:12)") {
		t.Fatalf("a depends_on cycle must be reported with file:line: %s", r)
	}

	p.write("velin.hcl", strings.Replace(plan, "  command = [\"sh\", \"-c\", \"echo warm >> order.txt\"]\n",
		"  command = [\"sh\", \"-c\", \"echo warm >> order.txt\"]\n  depends_on = [source.files.b]\n", 1))
	r = p.run("validate")
	if r.code != 1 || !strings.Contains(r.stderr, "Dependency cycle") ||
		!strings.Contains(r.stderr, "step.exec.warm (velin.hcl:16)") || !strings.Contains(r.stderr, "source.files.b (velin.hcl:11)") {
		t.Fatalf("a before step that waits for a source is a cycle: %s", r)
	}
}
