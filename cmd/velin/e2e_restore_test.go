package main

import (
	"os"
	"strings"
	"testing"
)

const restorePlan = `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "files" "site" {
  paths = ["./site"]
}
source "sqlite" "app" {
  path = "./app.db"
}
step "exec" "flag_on" {
  command = ["touch", "./restoring.flag"]
}
step "exec" "flag_off" {
  command = ["rm", "-f", "./restoring.flag"]
}
backup "nightly" {
  sources = [source.files.site, source.sqlite.app]
  target  = target.local.disk
  retention {
    keep_last = 2
  }
}
restore "uploads" {
  from    = backup.nightly
  sources = [source.files.site]
  include = ["site/uploads/**"]
  before  = [step.exec.flag_on]
  finally = [step.exec.flag_off]
}
restore "db" {
  from    = backup.nightly
  sources = [source.sqlite.app]
}
`

func restoreProject(t *testing.T) *project {
	p := newProject(t, restorePlan)
	p.write("site/index.html", "index v1")
	p.write("site/uploads/a.jpg", "photo a v1")
	p.write("site/uploads/b.jpg", "photo b v1")
	sqliteExec(t, p.path("app.db"), "CREATE TABLE t (x)", "INSERT INTO t VALUES (1), (2)")
	p.must("apply", "-auto-approve")
	return p
}

func TestRestoreBlockPlanAndApply(t *testing.T) {
	p := restoreProject(t)
	p.write("site/index.html", "index v2")
	p.write("site/uploads/a.jpg", "photo a v2, edited")
	sqliteExec(t, p.path("app.db"), "INSERT INTO t VALUES (3)")

	r := p.run("plan", "-restore", "uploads", "-detailed-exitcode")
	if r.code != 2 {
		t.Fatalf("plan -restore must show changes: %s", r)
	}
	if !strings.Contains(r.stdout, "site/uploads/a.jpg") || strings.Contains(r.stdout, "index.html") {
		t.Errorf("plan -restore uploads must list a.jpg as replaced and not touch index.html:\n%s", r.stdout)
	}
	if r := p.runInput("no\n", "apply", "-restore", "uploads"); r.code != 1 {
		t.Fatalf("restore without yes must be refused: %s", r)
	}
	if b, _ := os.ReadFile(p.path("site/uploads/a.jpg")); string(b) != "photo a v2, edited" {
		t.Fatal("a refused restore changed a file")
	}
	p.must("apply", "-restore", "uploads", "-auto-approve")
	if b, _ := os.ReadFile(p.path("site/uploads/a.jpg")); string(b) != "photo a v1" {
		t.Errorf("a.jpg after restore = %q", b)
	}
	if b, _ := os.ReadFile(p.path("site/index.html")); string(b) != "index v2" {
		t.Errorf("index.html is outside the include and must not be restored: %q", b)
	}
	if _, err := os.Stat(p.path("restoring.flag")); err == nil {
		t.Error("the restore's finally step did not run")
	}

	r = p.must("plan", "-restore", "db")
	if !strings.Contains(r.stdout, "table t (snapshot: 2 rows; now: 3 rows)") {
		t.Errorf("plan -restore db must show the table's rows in the snapshot and now:\n%s", r.stdout)
	}
	p.must("apply", "-restore", "db", "-auto-approve")
	if n := sqliteCount(t, p.path("app.db"), "t"); n != 2 {
		t.Errorf("rows after restoring the database = %d, want 2", n)
	}
}

func TestRestoreIncludeAndDestination(t *testing.T) {
	p := restoreProject(t)
	p.must("backup", "restore", "latest", "--source", "files.site", "--include", "site/uploads/b.jpg", "--to", p.path("out"), "--yes")
	got := treeDigest(t, p.path("out"))
	if _, ok := got["site/uploads/b.jpg"]; !ok {
		t.Errorf("include did not restore b.jpg: %v", got)
	}
	if _, ok := got["site/index.html"]; ok {
		t.Errorf("include restored index.html too: %v", got)
	}
	p.must("backup", "create", "--destination", p.path("usb"))
	if _, err := os.Stat(p.path("usb/config")); err != nil {
		t.Fatalf("--destination did not create a repository: %v", err)
	}
	if n := len(p.snapshots()); n != 1 {
		t.Errorf("--destination must not write to the configured target: %d snapshots there", n)
	}
}

func TestDeleteAndPrune(t *testing.T) {
	p := restoreProject(t)
	p.write("site/uploads/c.jpg", strings.Repeat("c", 100_000))
	p.must("backup", "create")
	snaps := p.snapshots()
	if len(snaps) != 2 {
		t.Fatalf("want 2 snapshots, have %d", len(snaps))
	}
	if r := p.runInput("no\n", "backup", "delete", snaps[1].ID); r.code != 1 || len(p.snapshots()) != 2 {
		t.Fatalf("delete without yes must be refused: %s", r)
	}
	r := p.must("backup", "delete", snaps[1].ID, "--yes")
	if !strings.Contains(r.stdout, "Reclaimed") || len(p.snapshots()) != 1 {
		t.Fatalf("delete --yes: %s", r)
	}
	// Retention keeps 2: after 3 more backups, prune forgets the oldest ones.
	for i := 0; i < 3; i++ {
		p.write("site/index.html", strings.Repeat("v", i+10))
		p.must("backup", "create", "--backup", "nightly")
	}
	if n := len(p.snapshots()); n != 2 {
		t.Fatalf("retention keep_last=2 during apply left %d snapshots", n)
	}
	dry := p.must("backup", "prune", "--dry-run")
	if !strings.Contains(dry.stdout, "Would reclaim") {
		t.Errorf("prune --dry-run output:\n%s", dry.stdout)
	}
	p.must("backup", "prune", "--yes")
	p.must("backup", "verify", "all", "--test-restore")
}
