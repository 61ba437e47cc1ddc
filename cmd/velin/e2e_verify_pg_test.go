package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/velinhq/velin/providers/dbtest"
)

// pgAssertPlan backs up the database of APP_DSN with one assertion.
func pgAssertPlan(sql string) string {
	return `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "postgres" "app" {
  dsn = env("APP_DSN")
}
backup "db" {
  sources = [source.postgres.app]
  target  = target.local.disk
  verify {
    test_restore = true
    assert "customers" {
      source = source.postgres.app
      sql    = "` + sql + `"
    }
  }
}
`
}

func pgExec(t *testing.T, dsn string, stmts ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func pgHasDatabase(t *testing.T, name string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbtest.PostgresAdmin())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// The assertion runs on the test restore of a real PostgreSQL database:
// it passes (exit 0, recorded), then fails (exit 4, the snapshot kept and
// not verified). A scratch database a killed test restore left behind is
// removed by the next run's test restore (the source's CleanLeftovers).
func TestE2EAssertPostgres(t *testing.T) {
	dsn := dbtest.Postgres(t)
	pgExec(t, dsn, "CREATE TABLE customers (id serial PRIMARY KEY, name text)", "INSERT INTO customers (name) VALUES ('ada'), ('bob')")
	leftover := fmt.Sprintf("velin_verify_e2eleftover%d", time.Now().UnixNano()%1e9)
	pgExec(t, dbtest.PostgresAdmin(), "CREATE DATABASE "+leftover)
	t.Cleanup(func() { pgExec(t, dbtest.PostgresAdmin(), "DROP DATABASE IF EXISTS "+leftover) })

	p := newProject(t, pgAssertPlan("SELECT count(*) = 2 FROM public.customers"))
	p.env = append(p.env, "APP_DSN="+dsn)
	r := p.must("backup", "create")
	wantIn(t, "backup create", r.stdout, "ok     assert customers: returned true", "1 assertion(s) passed")
	if pgHasDatabase(t, leftover) {
		t.Errorf("the leftover scratch database %s is still there", leftover)
	}
	p.write("velin.hcl", pgAssertPlan("SELECT count(*) > 2 FROM public.customers"))
	r = p.run("backup", "create")
	if r.code != 4 {
		t.Fatalf("a failed assertion on postgres: want exit 4: %s", r)
	}
	wantIn(t, "backup create", r.stdout, "NOT VERIFIED", "FAILED assert customers: returned false")
	snaps := p.snapshots()
	if len(snaps) != 2 {
		t.Fatalf("want 2 snapshots, got %d", len(snaps))
	}
	if v := verificationOf(t, p, snaps[1].ID); v.Status != "failed" {
		t.Errorf("verification = %+v", v)
	}
}
