package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2ERepairConfigMissing: after the config object is lost, a backup
// must not create a new repository (a second key and config) over the old
// keys and data; it fails naming the location, and the old data stays
// recoverable once config is put back.
func TestE2ERepairConfigMissing(t *testing.T) {
	p := restoreProject(t)
	repoDir := p.path("backups")
	cfg, err := os.ReadFile(filepath.Join(repoDir, "config"))
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := os.ReadDir(filepath.Join(repoDir, "keys"))
	os.Remove(filepath.Join(repoDir, "config"))

	for _, args := range [][]string{{"backup", "create"}, {"apply", "-auto-approve"}, {"backup", "list"}} {
		r := p.run(args...)
		out := r.stdout + r.stderr
		if r.code == 0 || !strings.Contains(out, "config object is missing") || !strings.Contains(out, repoDir) {
			t.Fatalf("velin %s without config: want a clear error naming %s, got %s", strings.Join(args, " "), repoDir, r)
		}
	}
	if _, err := os.Stat(filepath.Join(repoDir, "config")); err == nil {
		t.Fatal("a new config was written over the old repository")
	}
	if now, _ := os.ReadDir(filepath.Join(repoDir, "keys")); len(now) != len(keys) {
		t.Fatalf("keys/ changed: %d entries, was %d", len(now), len(keys))
	}
	if err := os.WriteFile(filepath.Join(repoDir, "config"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	p.must("backup", "verify", "all")
}
