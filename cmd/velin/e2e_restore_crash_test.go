package main

import (
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKill9DuringRestore kills restores at random moments. A file may
// appear under its name only whole and with its metadata (an interrupted
// restore leaves nothing but ".velin-*.tmp" files), and a restore run to
// the end afterwards gives the backed-up tree and removes the temporary
// files the kills left. Files of every size are
// there: small ones go through the page cache, large ones (128 KiB and
// more) through direct I/O.
func TestKill9DuringRestore(t *testing.T) {
	p := newProject(t, filesPlan)
	randomData(t, p, 150, 600_000)
	for i := 0; i < 3; i++ {
		b := make([]byte, 3<<20+mrand.IntN(1<<20))
		rand.Read(b)
		p.write(fmt.Sprintf("data/large/l%d.bin", i), string(b))
	}
	p.must("backup", "create")
	want := treeDigest(t, p.path("data"))
	// A whole restore, timed, so the kills land anywhere in one.
	t0 := time.Now()
	p.must("backup", "restore", "latest", "--to", p.path("timed"), "--yes")
	whole := time.Since(t0)
	kills := 8
	if testing.Short() {
		kills = 3
	}
	for killed, tries := 0, 0; killed < kills; tries++ {
		if tries == 4*kills {
			t.Fatalf("only %d of %d restores were killed while running", killed, tries)
		}
		cmd := exec.Command(velinBin, "backup", "restore", "latest", "--to", p.path("restored"), "--yes")
		cmd.Dir, cmd.Env = p.dir, p.env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(whole/4 + time.Duration(mrand.Int64N(int64(whole))))
		cmd.Process.Kill()
		if err := cmd.Wait(); err == nil {
			// It had finished: not a kill. The timed restore may have run on
			// a busier machine than this one: aim earlier from now on, so
			// that the kills land within a restore whatever the load.
			whole = max(whole/2, time.Millisecond)
			continue
		}
		killed++
		if _, err := os.Stat(p.path("restored/data")); err == nil { // missing if killed before it was made
			checkNoPartialFiles(t, want, treeDigest(t, p.path("restored/data")), killed)
		}
	}
	p.must("backup", "restore", "latest", "--to", p.path("restored"), "--yes")
	got := treeDigest(t, p.path("restored/data"))
	for k := range got {
		if isRestoreTemp(k) { // left by the kills: the restore run to the end removes them
			t.Errorf("the restore after the kills left the temporary file %s", k)
		}
	}
	if d := diffDigests(want, got); len(d) > 0 {
		t.Fatalf("restore after kills differs:\n%s", strings.Join(d, "\n"))
	}
}

// checkNoPartialFiles fails when a file of got, other than a restore's
// temporary file, differs from the same file in want.
func checkNoPartialFiles(t *testing.T, want, got map[string]string, kill int) {
	t.Helper()
	for k, v := range got {
		if isRestoreTemp(k) || strings.HasPrefix(v, "dir:") {
			continue // directories get their modes at the end
		}
		if want[k] != v {
			t.Fatalf("after kill %d, %s is %q, want %q (a partial file under its name)", kill, k, v, want[k])
		}
	}
}

func isRestoreTemp(rel string) bool {
	base := filepath.Base(rel)
	return strings.HasPrefix(base, ".velin-") && strings.HasSuffix(base, ".tmp")
}
