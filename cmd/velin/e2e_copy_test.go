package main

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// copyPlan backs up to a local disk and copies each snapshot offsite, to
// a repository with another passphrase; 1 kept locally, 3 offsite.
const copyPlan = `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
target "local" "offsite" {
  path       = "./offsite"
  passphrase = env("OFFSITE_PASSPHRASE")
}
source "files" "data" {
  paths = ["./data"]
}
backup "b" {
  sources  = [source.files.data]
  target   = target.local.disk
  strategy = "full"
  copy_to  = [target.local.offsite]
  retention {
    keep_last = 1
  }
  retention {
    target    = target.local.offsite
    keep_last = 3
  }
}
`

const offsitePassphrase = "offsite-passphrase-not-the-local-one"

type listedTargets struct {
	ID      string   `json:"ID"`
	Targets []string `json:"targets"`
}

func (p *project) targetsByID() map[string][]string {
	p.t.Helper()
	var out []listedTargets
	r := p.must("backup", "list", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		p.t.Fatalf("backup list --json: %v\n%s", err, r.stdout)
	}
	m := map[string][]string{}
	for _, s := range out {
		m[s.ID] = s.Targets
	}
	return m
}

// TestE2ECopyTo: copy_to copies each new snapshot offsite (another
// passphrase), a failed copy fails the run, keeps everything at the
// source and is caught up by the next run; retention differs per target;
// list shows where each snapshot is; delete --target deletes on one only.
func TestE2ECopyTo(t *testing.T) {
	p := newProject(t, copyPlan)
	p.env = append(p.env, "OFFSITE_PASSPHRASE="+offsitePassphrase)
	randomData(t, p, 20, 200_000)
	r := p.must("backup", "create")
	if !strings.Contains(r.stderr, "copied ") || !strings.Contains(r.stderr, "local.offsite") {
		t.Fatalf("no copy reported:\n%s", r)
	}
	first := p.snapshots()[0].ID
	firstData := treeDigest(t, p.path("data"))
	if got := p.targetsByID()[first]; !slices.Equal(got, []string{"local.disk", "local.offsite"}) {
		t.Fatalf("targets of %s: %v", first, got)
	}

	// The offsite target breaks: the run fails, says so, forgets nothing locally.
	if err := os.Rename(p.path("offsite"), p.path("offsite.away")); err != nil {
		t.Fatal(err)
	}
	p.write("offsite", "not a directory")
	p.write("data/new.txt", "second")
	r = p.run("backup", "create")
	if r.code == 0 || !strings.Contains(r.stderr, "copy/target.local.offsite") {
		t.Fatalf("failed copy not reported:\n%s", r)
	}
	local := p.run("backup", "list", "--target", "local.disk", "--json")
	if n := strings.Count(local.stdout, `"id"`); n != 2 {
		t.Fatalf("after the failed copy the source holds %d snapshots, want 2 (nothing forgotten):\n%s", n, local.stdout)
	}

	// Repaired: the next run copies both snapshots the target lacks.
	os.Remove(p.path("offsite"))
	if err := os.Rename(p.path("offsite.away"), p.path("offsite")); err != nil {
		t.Fatal(err)
	}
	p.write("data/third.txt", "third")
	r = p.must("backup", "create")
	if n := strings.Count(r.stderr, "copied "); n != 2 {
		t.Fatalf("catch-up copied %d snapshots, want 2:\n%s", n, r)
	}
	byID := p.targetsByID()
	if len(byID) != 3 || !slices.Equal(byID[first], []string{"local.offsite"}) {
		t.Fatalf("after retention (1 local, 3 offsite): %v", byID)
	}

	// prune applies each target's own policy.
	var pr pruneJSON
	decodeJSON(t, p.must("backup", "prune", "--dry-run", "--json"), &pr)
	policies := map[string]string{}
	for _, rt := range pr.Retention {
		policies[rt.Target] = rt.Policy
	}
	if policies["target.local.disk"] != "keep_last=1" || policies["target.local.offsite"] != "keep_last=3" {
		t.Fatalf("prune policies per target: %v", policies)
	}

	// Copying again by hand sends nothing; download brings one back.
	r = p.must("backup", "copy", first, "--to", "local.disk")
	if !strings.Contains(r.stdout, "copied "+first) {
		t.Fatalf("copy back: %s", r)
	}
	r = p.must("backup", "copy", first, "--from", "local.disk", "--to", "local.offsite")
	if !strings.Contains(r.stdout, "already") {
		t.Fatalf("second copy: %s", r)
	}
	r = p.must("backup", "delete", first, "--target", "local.disk", "--yes")
	if got := p.targetsByID()[first]; !slices.Equal(got, []string{"local.offsite"}) {
		t.Fatalf("after delete --target local.disk: %v\n%s", got, r)
	}
	p.must("backup", "download", first, "--from", "local.offsite")
	if got := p.targetsByID()[first]; !slices.Equal(got, []string{"local.disk", "local.offsite"}) {
		t.Fatalf("after download: %v", got)
	}
	p.must("backup", "restore", first, "--target", "local.disk", "--to", p.path("restored"), "--yes")
	if d := diffDigests(firstData, treeDigest(t, p.path("restored/data"))); len(d) > 0 {
		t.Fatalf("downloaded snapshot restores differently:\n%s", strings.Join(d, "\n"))
	}
}
