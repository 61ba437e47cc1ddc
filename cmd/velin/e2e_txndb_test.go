package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/velinhq/velin/providers/dbtest"
)

// txDBBlocks is a backup "db" of source (keep_last 1: a later backup
// would forget the one begin took, were it not held) for a deployment
// whose transaction takes it at begin.
func txDBBlocks(source, key string) (top, inDeployment string) {
	top = source + fmt.Sprintf(`
backup "db" {
  sources = [%s]
  target  = target.local.disk
  retention {
    keep_last = 1
  }
}`, key)
	return top, `
  transaction {
    backup = backup.db
  }`
}

// beginSnapshot is the database snapshot the open transaction recorded.
func (p *project) beginSnapshot() string {
	p.t.Helper()
	r := p.must("rollback", "status", "--json")
	for _, s := range p.snapshots() {
		if s.Backup == "db" && strings.Contains(r.stdout, `"database_snapshot": "`+s.ID+`"`) {
			return s.ID
		}
	}
	p.t.Fatalf("no database snapshot in status:\n%s", r)
	return ""
}

func (p *project) hasSnapshot(id string) bool {
	for _, s := range p.snapshots() {
		if s.ID == id {
			return true
		}
	}
	return false
}

// holdSurvivesForget: while the transaction is open, a backup whose
// retention would forget the begin snapshot, a prune and a delete of it
// all keep it.
func holdSurvivesForget(p *project, id string) {
	p.t.Helper()
	p.must("backup", "create")
	p.must("backup", "prune", "--yes")
	if r := p.run("backup", "delete", id, "--yes"); r.code == 0 || !strings.Contains(r.stderr, "held") {
		p.t.Fatalf("delete of the held snapshot: %s", r)
	}
	if !p.hasSnapshot(id) {
		p.t.Fatalf("the transaction's snapshot %s was forgotten while the transaction is open", id)
	}
}

// TestE2ETxnRollbackRestoresSQLite: no migrate block, the same release
// (config and data only): rollback restores the config and the SQLite
// database as at begin, restarts the service, and releases the hold.
func TestE2ETxnRollbackRestoresSQLite(t *testing.T) {
	top, in := txDBBlocks(`
source "sqlite" "app" {
  path = "./app.db"
}`, "source.sqlite.app")
	p := txProjectWith(t, top, in)
	db := p.path("app.db")
	sqliteExec(t, db, "CREATE TABLE t (x)", "INSERT INTO t VALUES (1), (2)")
	p.must("rollback", "begin", "--timeout", "10m")
	id := p.beginSnapshot()
	sqliteExec(t, db, "INSERT INTO t VALUES (3), (4), (5)")
	p.write("config/app.conf", "edited during the transaction\n")
	for _, args := range [][]string{{"rollback", "status"}, {"plan"}} {
		if r := p.must(args...); !strings.Contains(r.stdout, "restore database snapshot "+id) ||
			!strings.Contains(r.stdout, "restart it if it is still current") {
			t.Fatalf("%v does not show the rollback's steps:\n%s", args, r)
		}
	}
	holdSurvivesForget(p, id)
	starts := countLines(t, p.path("starts.log"))
	p.must("rollback", "rollback")
	if n := sqliteCount(t, db, "t"); n != 2 {
		t.Fatalf("after rollback the table has %d rows, want 2 (as at begin)", n)
	}
	if b, _ := os.ReadFile(p.path("config/app.conf")); string(b) != "config of v2\n" {
		t.Fatalf("config after rollback: %q", b)
	}
	if n := countLines(t, p.path("starts.log")); n != starts+1 {
		t.Fatalf("starts %d -> %d: a rollback of the same release must restart it", starts, n)
	}
	p.must("backup", "prune", "--yes")
	if p.hasSnapshot(id) {
		t.Fatalf("snapshot %s still held after the rollback", id)
	}
}

// TestE2ETxnRollbackRestoresPostgres: a new release and no migrate block:
// rollback switches back and restores the PostgreSQL database.
func TestE2ETxnRollbackRestoresPostgres(t *testing.T) {
	dsn := dbtest.Postgres(t)
	pgExec(t, dsn, `CREATE TABLE items (id int PRIMARY KEY)`, `INSERT INTO items VALUES (1), (2)`)
	top, in := txDBBlocks(fmt.Sprintf(`
source "postgres" "app" {
  dsn = %q
}`, dsn), "source.postgres.app")
	p := txProjectWith(t, top, in)
	p.must("rollback", "begin", "--timeout", "10m")
	id := p.beginSnapshot()
	p.must("rollback", "to-version", "v2")
	pgExec(t, dsn, `INSERT INTO items VALUES (3)`, `CREATE TABLE added (x int)`)
	holdSurvivesForget(p, id)
	p.must("rollback", "rollback")
	if n := pgScalar(t, dsn, `SELECT count(*) FROM items`); n != 2 || p.current() != "v1" {
		t.Fatalf("after rollback: %d rows, current %s", n, p.current())
	}
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// TestE2ETxnRecoverRestoresSQLite: the watchdog is killed and the machine
// "rebooted": `velin rollback recover` restores the database snapshot too.
func TestE2ETxnRecoverRestoresSQLite(t *testing.T) {
	top, in := txDBBlocks(`
source "sqlite" "app" {
  path = "./app.db"
}`, "source.sqlite.app")
	p := txProjectWith(t, top, in)
	db := p.path("app.db")
	sqliteExec(t, db, "CREATE TABLE t (x)", "INSERT INTO t VALUES (1)")
	p.must("rollback", "begin", "--timeout", "1h")
	p.must("rollback", "to-version", "v2")
	sqliteExec(t, db, "DELETE FROM t")
	killWatchdogs(t, p)
	p.write("boot_id", "boot-2\n")
	if r := p.run("rollback", "recover"); r.code != 3 {
		t.Fatalf("recover: %s", r)
	}
	if n := sqliteCount(t, db, "t"); n != 1 || p.current() != "v1" {
		t.Fatalf("after recover: %d rows, current %s", n, p.current())
	}
}

// TestE2ETxnReleaseHold: the hold of an open transaction cannot be
// released by hand (exit 4). A commit while the repository is away cannot
// release it and says so; once the repository is back the snapshot is
// still held (delete refuses it) until `velin rollback release-hold`,
// after which delete works.
func TestE2ETxnReleaseHold(t *testing.T) {
	top, in := txDBBlocks(`
source "sqlite" "app" {
  path = "./app.db"
}`, "source.sqlite.app")
	p := txProjectWith(t, top, in)
	sqliteExec(t, p.path("app.db"), "CREATE TABLE t (x)", "INSERT INTO t VALUES (1)")
	p.must("rollback", "begin", "--timeout", "10m")
	id := p.beginSnapshot()
	if r := p.run("rollback", "release-hold", id); r.code != 4 || !strings.Contains(r.stderr, "is open") {
		t.Fatalf("release-hold during the transaction: %s", r)
	}
	if err := os.Rename(p.path("repo"), p.path("repo.away")); err != nil {
		t.Fatal(err)
	}
	if r := p.must("rollback", "commit"); !strings.Contains(r.stderr, "stays held") {
		t.Fatalf("commit with the repository away does not say the hold stays: %s", r)
	}
	if err := os.Rename(p.path("repo.away"), p.path("repo")); err != nil {
		t.Fatal(err)
	}
	if r := p.run("backup", "delete", id, "--yes"); r.code == 0 || !strings.Contains(r.stderr, "held") {
		t.Fatalf("delete after the commit that could not release: %s", r)
	}
	if r := p.must("rollback", "release-hold", id); !strings.Contains(r.stdout, "Released the hold of transaction") {
		t.Fatalf("release-hold: %s", r)
	}
	p.must("backup", "delete", id, "--yes")
	if p.hasSnapshot(id) {
		t.Fatalf("snapshot %s still there after release-hold and delete", id)
	}
	if r := p.must("rollback", "release-hold", id); !strings.Contains(r.stdout, "has no hold") {
		t.Fatalf("a second release-hold: %s", r)
	}
}
