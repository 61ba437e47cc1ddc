package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRecoveryFromRepositoryAlone follows docs/recovery.md: the server and
// its plan file are gone; with only the repository and its passphrase the
// snapshots are listed, inspected, verified and restored.
func TestRecoveryFromRepositoryAlone(t *testing.T) {
	p := restoreProject(t)
	want := treeDigest(t, p.path("site"))

	// Disaster: the plan, the site and the database are gone. Only the
	// repository survives (moved, as a copy on another disk would be).
	repoDir := filepath.Join(t.TempDir(), "usb", "velin")
	os.MkdirAll(filepath.Dir(repoDir), 0o755)
	if err := os.Rename(p.path("backups"), repoDir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"velin.hcl", "site", "app.db"} {
		os.RemoveAll(p.path(f))
	}

	// VELIN_REPOSITORY works as -r does.
	env := p.env
	p.env = append(env, "VELIN_REPOSITORY="+repoDir)
	var snaps []listed
	r := p.must("backup", "list", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &snaps); err != nil || len(snaps) != 1 || len(snaps[0].Sources) != 2 {
		t.Fatalf("list from the repository alone: %v\n%s", err, r)
	}
	p.env = env
	id := snaps[0].ID
	if r := p.must("backup", "show", id, "-r", repoDir); !strings.Contains(r.stdout, "sqlite.app") {
		t.Fatalf("show: %s", r)
	}
	if r := p.must("backup", "inspect", "latest", "-r", repoDir); !strings.Contains(r.stdout, "uploads") {
		t.Fatalf("inspect: %s", r)
	}
	p.must("backup", "verify", "all", "--test-restore", "-r", repoDir)

	// Restore everything under a new directory, with no plan at all.
	out := p.path("recovered")
	p.must("backup", "restore", "latest", "-r", repoDir, "--to", out, "--yes")
	if d := diffDigests(want, treeDigest(t, filepath.Join(out, "site"))); len(d) > 0 {
		t.Fatalf("recovered site differs: %v", d)
	}
	if n := sqliteCount(t, filepath.Join(out, "app.db"), "t"); n != 2 {
		t.Fatalf("recovered database has %d rows, want 2", n)
	}

	// Exit codes a script can act on.
	if r := p.run("backup", "list", "-r", p.path("nowhere")); r.code != 10 {
		t.Fatalf("missing repository: want exit 10, got %s", r)
	}
	if r := p.run("backup", "verify", "all", "-r", p.path("nowhere")); r.code != 10 {
		t.Fatalf("verify all of a missing repository: want exit 10, got %s", r)
	}
	p.env = append(env, "VELIN_PASSPHRASE=not the passphrase")
	if r := p.run("backup", "list", "-r", repoDir); r.code != 12 {
		t.Fatalf("wrong passphrase: want exit 12, got %s", r)
	}
	p.env = env
}

// TestKeyManagement adds, changes and removes passphrases of a repository
// found through -r, and checks which ones open it afterwards.
func TestKeyManagement(t *testing.T) {
	p := restoreProject(t)
	repoDir := p.path("backups")
	env := p.env
	with := func(pass string, extra ...string) {
		p.env = append(append(append([]string{}, env...), "VELIN_PASSPHRASE="+pass), extra...)
	}
	keys := func() []map[string]any {
		t.Helper()
		var ks []map[string]any
		r := p.must("key", "list", "-r", repoDir, "--json")
		if err := json.Unmarshal([]byte(r.stdout), &ks); err != nil {
			t.Fatalf("key list --json: %v\n%s", err, r)
		}
		return ks
	}
	first := keys()
	if len(first) != 1 || first[0]["current"] != true {
		t.Fatalf("keys of a new repository: %v", first)
	}
	with(testPassphrase, "VELIN_NEW_PASSPHRASE=second passphrase for the usb disk")
	p.must("key", "add", "-r", repoDir)
	with("second passphrase for the usb disk")
	if ks := keys(); len(ks) != 2 {
		t.Fatalf("after add: %v", ks)
	}
	// The key in use cannot be removed; the first one can, from the second.
	firstID := first[0]["id"].(string)
	p.must("key", "remove", firstID[:8], "-r", repoDir, "--yes")
	with(testPassphrase)
	if r := p.run("backup", "list", "-r", repoDir); r.code != 12 {
		t.Fatalf("removed passphrase: want exit 12, got %s", r)
	}
	// passwd replaces the passphrase that opened the repository.
	pf := p.path("new.pass")
	os.WriteFile(pf, []byte("third passphrase, from a file\n"), 0o600)
	with("second passphrase for the usb disk")
	p.must("key", "passwd", "-r", repoDir, "--new-passphrase-file", pf)
	if r := p.run("backup", "list", "-r", repoDir); r.code != 12 {
		t.Fatalf("old passphrase after passwd: want exit 12, got %s", r)
	}
	p.env = env
	r := p.must("backup", "list", "-r", repoDir, "--passphrase-file", pf)
	if !strings.Contains(r.stdout, "nightly") {
		t.Fatalf("list with the new passphrase: %s", r)
	}
	ks := keys
	p.env = append(append([]string{}, env...), "VELIN_PASSPHRASE_FILE="+pf)
	if k := ks(); len(k) != 1 || k[0]["current"] != true {
		t.Fatalf("keys after passwd: %v", k)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if strings.Contains(out, "third passphrase") {
			t.Fatal("a passphrase was printed")
		}
	}
}

// TestListByHost: snapshots record their host and machine id, and list
// --host selects by either.
func TestListByHost(t *testing.T) {
	p := newProject(t, locksPlan)
	p.write("site/index.html", "hello")
	p.must("apply", "-auto-approve")
	host, _ := os.Hostname()
	var all []map[string]any
	if err := json.Unmarshal([]byte(p.must("backup", "list", "--json", "--host", host).stdout), &all); err != nil || len(all) != 1 {
		t.Fatalf("list --host %s: %v %v", host, all, err)
	}
	if mid, _ := os.ReadFile("/etc/machine-id"); len(mid) > 0 {
		id := strings.TrimSpace(string(mid))
		if all[0]["machine_id"] != id {
			t.Fatalf("machine_id %v, want %s", all[0]["machine_id"], id)
		}
		if r := p.must("backup", "list", "--host", id); !strings.Contains(r.stdout, host) {
			t.Fatalf("list --host MACHINE-ID: %s", r)
		}
	}
	if r := p.must("backup", "list", "--json", "--host", "another-host"); strings.TrimSpace(r.stdout) != "[]" {
		t.Fatalf("list --host another-host: %s", r)
	}
}
