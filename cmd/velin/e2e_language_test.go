package main

import (
	"bytes"
	"context"
	"fmt"
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
