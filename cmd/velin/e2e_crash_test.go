package main

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const filesPlan = `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "files" "data" {
  paths = ["./data"]
}
backup "b" {
  sources  = [source.files.data]
  target   = target.local.disk
  strategy = "full"
}
`

// randomData writes n files of random sizes (incompressible) under data/.
func randomData(t testing.TB, p *project, n int, maxSize int) {
	t.Helper()
	for i := 0; i < n; i++ {
		b := make([]byte, mrand.IntN(maxSize)+1)
		rand.Read(b)
		p.write(fmt.Sprintf("data/d%02d/f%04d.bin", i%10, i), string(b))
	}
}

// TestKill9DuringBackup kills backups at random moments. After every kill no
// snapshot may look complete but be damaged, earlier snapshots stay intact,
// the next backup succeeds, and prune reclaims what the kills left behind.
func TestKill9DuringBackup(t *testing.T) {
	p := newProject(t, filesPlan)
	randomData(t, p, 300, 200_000)
	p.must("backup", "create")
	kills := 8
	if testing.Short() {
		kills = 3
	}
	for i := 0; i < kills; i++ {
		randomData(t, p, 30, 200_000) // new content, so every run writes packs
		cmd := exec.Command(velinBin, "backup", "create")
		cmd.Dir, cmd.Env = p.dir, p.env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(mrand.IntN(900)+50) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		r := p.run("backup", "verify", "all")
		if r.code != 0 {
			t.Fatalf("after kill %d, verify failed: %s", i, r)
		}
	}
	before := len(p.snapshots())
	p.must("backup", "create")
	if after := len(p.snapshots()); after != before+1 {
		t.Fatalf("backup after kills: %d -> %d snapshots", before, after)
	}
	p.must("backup", "prune", "--yes")
	p.must("backup", "verify", "all")
	p.must("backup", "restore", "latest", "--to", p.path("restored"), "--yes")
	if d := diffDigests(treeDigest(t, p.path("data")), treeDigest(t, p.path("restored/data"))); len(d) > 0 {
		t.Fatalf("restore after kills differs:\n%s", strings.Join(d, "\n"))
	}
}

// TestFlippedByteIsFound damages one pack and expects verify to name the
// snapshot and the file and to exit non-zero.
func TestFlippedByteIsFound(t *testing.T) {
	p := newProject(t, filesPlan)
	precious := make([]byte, 3<<20) // incompressible, so data blobs fill the pack
	rand.Read(precious)
	p.write("data/only.txt", string(precious))
	p.must("backup", "create")
	snap := p.snapshots()[0].ID
	var packs []string
	filepath.WalkDir(p.path("backups/data"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			packs = append(packs, path)
		}
		return nil
	})
	if len(packs) == 0 {
		t.Fatal("no pack files found under backups/data")
	}
	b, err := os.ReadFile(packs[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/4] ^= 0x01 // inside the first blob, far from the header
	if err := os.WriteFile(packs[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := p.run("backup", "verify", snap)
	if r.code == 0 {
		t.Fatalf("verify must fail on a damaged pack: %s", r)
	}
	for _, want := range []string{snap, "only.txt"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("verify output does not name %q: %s", want, r)
		}
	}
}

// TestConcurrentApplies runs two applies on one repository at once.
func TestConcurrentApplies(t *testing.T) {
	p := newProject(t, filesPlan)
	randomData(t, p, 100, 100_000)
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = p.run("apply", "-auto-approve")
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("apply %d failed: %s", i, r)
		}
	}
	if n := len(p.snapshots()); n != 2 {
		t.Fatalf("two applies made %d snapshots", n)
	}
	p.must("backup", "verify", "all")
}

// TestSecretsNeverLeak runs every kind of command with a passphrase and a
// sensitive variable and looks for them in all output, the saved plan and
// the repository files.
func TestSecretsNeverLeak(t *testing.T) {
	plan := filesPlan + `
variable "token" {
  type      = string
  sensitive = true
}
step "exec" "notify" {
  # A secret goes to a step through env, never on its command line; velin's
  # own VELIN_PASSPHRASE is not inherited at all.
  command = ["sh", "-c", "echo token is $TOKEN; echo pass is $VELIN_PASSPHRASE"]
  env     = { TOKEN = var.token }
}
backup "with_step" {
  sources = [source.files.data]
  target  = target.local.disk
  after   = [step.exec.notify]
}
`
	const token = "tok-9f8e7d6c5b4a"
	p := newProject(t, plan)
	p.env = append(p.env, "VELIN_VAR_token="+token)
	p.write("data/a.txt", "a")
	var all bytes.Buffer
	for _, args := range [][]string{
		{"validate"}, {"plan"}, {"plan", "--json", "-out", "saved.plan"}, {"apply", "-auto-approve"},
		{"backup", "list"}, {"backup", "show", "latest"}, {"backup", "show", "latest", "--json"},
		{"backup", "verify", "all", "--test-restore"}, {"graph"},
	} {
		r := p.run(args...)
		all.WriteString(r.stdout + r.stderr)
		if r.code != 0 {
			t.Fatalf("velin %v: %s", args, r)
		}
	}
	if !strings.Contains(all.String(), "token is (sensitive)") {
		t.Errorf("step output should show the token masked:\n%s", all.String())
	}
	for _, secret := range []string{testPassphrase, token} {
		if !searchable(secret) {
			continue
		}
		if strings.Contains(all.String(), secret) {
			t.Errorf("secret %q leaked in output:\n%s", secret, all.String())
		}
		if hits := grepTree(t, p.dir, secret); len(hits) > 0 {
			t.Errorf("secret %q found in files: %v", secret, hits)
		}
	}
}
