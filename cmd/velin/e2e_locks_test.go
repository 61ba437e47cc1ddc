package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const locksPlan = `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "files" "site" {
  paths = ["./site"]
}
backup "nightly" {
  sources = [source.files.site]
  target  = target.local.disk
  retention {
    keep_last = 2
  }
}
`

// runConcurrently starts every command at once and returns their results.
func (p *project) runConcurrently(cmds ...[]string) []result {
	p.t.Helper()
	out := make([]result, len(cmds))
	var wg sync.WaitGroup
	for i, args := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := exec.Command(velinBin, args...)
			c.Dir, c.Env = p.dir, p.env
			var o, e bytes.Buffer
			c.Stdout, c.Stderr = &o, &e
			err := c.Run()
			out[i] = result{stdout: o.String(), stderr: e.String()}
			if ee, ok := err.(*exec.ExitError); ok {
				out[i].code = ee.ExitCode()
			} else if err != nil {
				out[i].code = -1
				out[i].stderr += err.Error()
			}
		}()
	}
	wg.Wait()
	return out
}

// TestConcurrentAppliesBothSucceed runs two applies on one repository at
// once, each with retention that forgets a snapshot (an exclusive lock),
// and a verification beside them: the later one waits for the lock instead
// of failing, and every run exits 0.
func TestConcurrentAppliesBothSucceed(t *testing.T) {
	p := newProject(t, locksPlan)
	for i := range 200 {
		p.write(fmt.Sprintf("site/page%03d.html", i), strings.Repeat(fmt.Sprintf("page %d ", i), 500))
	}
	p.must("apply", "-auto-approve")
	p.must("apply", "-auto-approve")
	for round := range 2 {
		p.write("site/changed.html", fmt.Sprintf("round %d", round))
		res := p.runConcurrently(
			[]string{"apply", "-auto-approve"},
			[]string{"apply", "-auto-approve"},
			[]string{"backup", "verify", "all"},
		)
		for i, r := range res {
			if r.code != 0 {
				t.Fatalf("round %d, run %d: %s", round, i, r)
			}
		}
	}
	if n := len(p.snapshots()); n != 2 {
		t.Fatalf("retention keep_last = 2 left %d snapshots", n)
	}
	p.must("backup", "verify", "all")
}

// TestLockTimeoutExpires holds a lock (a stale-proof one: this test's own
// process) and checks that a prune gives up after --lock-timeout with exit
// 11 and a message naming the holder.
func TestLockTimeoutExpires(t *testing.T) {
	p := newProject(t, locksPlan)
	p.write("site/index.html", "hello")
	p.must("apply", "-auto-approve")
	// A shared lock of a live process on this host: a long-running verify
	// is simulated by a lock object of this test process.
	holdLock(t, p.path("backups"))
	r := p.run("backup", "prune", "--yes", "--lock-timeout", "1s")
	if r.code != 11 || !strings.Contains(r.stderr, "locked") || !strings.Contains(r.stderr, "waiting up to 1s") {
		t.Fatalf("prune beside a held lock: want exit 11 after waiting, got %s", r)
	}
}

// holdLock writes a shared lock of this (live) test process into the
// repository at dir, as a running `velin backup verify` would hold.
func holdLock(t *testing.T, dir string) {
	t.Helper()
	host, _ := os.Hostname()
	now := time.Now().UTC()
	data, _ := json.Marshal(map[string]any{"host": host, "pid": os.Getpid(), "exclusive": false,
		"created": now, "refreshed": now})
	if err := os.WriteFile(filepath.Join(dir, "locks", "heldbythetest"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDeleteWhileApplyWaitsAtPrompt: a `backup delete` that prunes while an
// apply waits at its confirmation prompt must not leave that apply
// committing a snapshot that points at the deleted data.
func TestDeleteWhileApplyWaitsAtPrompt(t *testing.T) {
	p := newProject(t, locksPlan)
	for i := range 20 {
		p.write(fmt.Sprintf("site/page%02d.html", i), strings.Repeat(fmt.Sprintf("page %d ", i), 3000))
	}
	p.must("apply", "-auto-approve")
	first := p.snapshots()[0].ID

	c := exec.Command(velinBin, "apply")
	c.Dir, c.Env = p.dir, p.env
	stdin, _ := c.StdinPipe()
	var out bytes.Buffer
	pr, pw, _ := os.Pipe()
	c.Stdout, c.Stderr = &out, pw
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	prompt := make(chan string, 1)
	go func() {
		var seen bytes.Buffer
		buf := make([]byte, 4096)
		for {
			n, err := pr.Read(buf)
			seen.Write(buf[:n])
			if strings.Contains(seen.String(), "Enter a value") || err != nil {
				prompt <- seen.String()
				io.Copy(&seen, pr)
				return
			}
		}
	}()
	select {
	case s := <-prompt:
		if !strings.Contains(s, "Enter a value") {
			t.Fatalf("apply ended before its prompt: %s", s)
		}
	case <-time.After(2 * time.Minute):
		c.Process.Kill()
		t.Fatal("no prompt")
	}
	p.must("backup", "delete", first, "--yes")
	io.WriteString(stdin, "yes\n")
	stdin.Close()
	err := c.Wait()
	t.Logf("apply after the delete: %v\n%s", err, out.String())
	// Whether the apply succeeded or refused, no snapshot may point at
	// deleted data.
	if r := p.run("backup", "verify", "all"); r.code != 0 {
		t.Fatalf("a snapshot references deleted data: %s", r)
	}
}
