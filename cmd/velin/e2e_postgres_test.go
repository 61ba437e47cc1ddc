package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/velinhq/velin/providers/dbtest"
)

const postgresPlan = `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "postgres" "app" {
  dsn                = env("APP_DSN")
  exclude_table_data = ["public.sessions"]
  %s
}
backup "nightly" {
  sources = [source.postgres.app]
  target  = target.local.disk
  verify {
    test_restore = true
  }
}
`

func pgScalar(t *testing.T, dsn, q string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// withPassword puts a password into a postgres:// DSN (the test server
// trusts local connections, so any password connects).
func withPassword(dsn, pw string) string {
	return strings.Replace(dsn, "postgres@", "postgres:"+pw+"@", 1)
}

func TestPostgresBackupRestore(t *testing.T) {
	const password = "pg-e2e-Passw0rd-8841"
	live := dbtest.Postgres(t)
	pgExec(t, live,
		`CREATE SCHEMA shop`,
		`CREATE TABLE shop.customers (id serial PRIMARY KEY, name text)`,
		`CREATE TABLE shop.orders (id serial PRIMARY KEY, customer_id int REFERENCES shop.customers(id))`,
		`CREATE TABLE public.sessions (id int PRIMARY KEY)`,
		`INSERT INTO shop.customers (name) VALUES ('ada ✓'), ('bob')`,
		`INSERT INTO shop.orders (customer_id) VALUES (1), (1), (2)`,
		`INSERT INTO public.sessions VALUES (1), (2), (3)`,
		`CREATE VIEW shop.order_count AS SELECT count(*) AS n FROM shop.orders`,
		`ANALYZE`)
	dsn := withPassword(live, password)
	p := newProject(t, fmt.Sprintf(postgresPlan, ""))
	p.env = append(p.env, "APP_DSN="+dsn)
	var outputs []string
	run := func(args ...string) result {
		r := p.must(args...)
		outputs = append(outputs, r.stdout, r.stderr)
		return r
	}
	r := run("plan")
	wantIn(t, "plan", r.stdout, "postgres.app", "2 tables, 5 rows", "postgresql 15", "pg_dump 15")
	r = run("backup", "create")
	wantIn(t, "backup create", r.stdout, "rows shop.orders")
	snaps := p.snapshots()
	if len(snaps) != 1 || snaps[0].Sources[0].Rows != 5 {
		t.Fatalf("snapshots %+v, want one with 2 tables, 5 rows (sessions' data excluded)", snaps)
	}
	pgExec(t, live, `INSERT INTO shop.orders (customer_id) VALUES (2)`, `CREATE TABLE public.extra (x int)`)
	r = run("backup", "restore", "latest", "--source", "postgres.app", "--dry-run")
	wantIn(t, "restore plan", r.stdout, "table shop.orders", "3 rows", "4 rows", "table public.extra", "not in the snapshot")
	run("backup", "restore", "latest", "--source", "postgres.app", "--yes")
	if n := pgScalar(t, live, "SELECT count(*) FROM shop.orders"); n != 3 {
		t.Errorf("after restore: %d orders, want 3", n)
	}
	if n := pgScalar(t, live, "SELECT n FROM shop.order_count"); n != 3 {
		t.Errorf("view after restore counts %d", n)
	}

	other := dbtest.Postgres(t)
	run("backup", "restore", "latest", "--source", "postgres.app", "--to", withPassword(other, password), "--yes", "--json")
	if n := pgScalar(t, other, "SELECT count(*) FROM shop.orders"); n != 3 {
		t.Errorf("--to restored %d orders, want 3", n)
	}
	pgExec(t, live, `DELETE FROM shop.orders WHERE id = 3`, `INSERT INTO shop.customers (name) VALUES ('cy')`)
	db := strings.TrimPrefix(live[strings.LastIndex(live, "/"):], "/")
	db = strings.SplitN(db, "?", 2)[0]
	run("backup", "restore", "latest", "--source", "postgres.app", "--database", db, "--table", "shop.orders", "--yes")
	if o, c := pgScalar(t, live, "SELECT count(*) FROM shop.orders"), pgScalar(t, live, "SELECT count(*) FROM shop.customers"); o != 3 || c != 3 {
		t.Errorf("--table shop.orders: %d orders (want 3), %d customers (want 3, untouched)", o, c)
	}
	for _, out := range outputs {
		if strings.Contains(out, password) {
			t.Errorf("the password shows in the output:\n%s", out)
		}
	}
	if hits := grepTree(t, p.dir, password); len(hits) > 0 {
		t.Errorf("the password is stored in %v", hits)
	}
}

func TestPostgresPlanFaults(t *testing.T) {
	const password = "a-pg-passw0rd-4412"
	live := dbtest.Postgres(t)
	admin := dbtest.PostgresAdmin()
	// A cluster of its own that checks passwords (the shared test server
	// trusts local connections): a wrong password is refused for real.
	strict := dbtest.PostgresPassword(t, "the-R1ght-one-77")
	cases := []struct {
		name, dsn, extra, cause, says string
	}{
		{"wrong password", strings.Replace(strict, "the-R1ght-one-77", password, 1), "",
			"password authentication failed", "check the user and password in dsn"},
		{"unreachable", "postgres://postgres:" + password + "@127.0.0.1:1/app?sslmode=disable", "", "refused", "is the server running"},
		{"unknown database", withPassword(dbtest.WithDatabase(t, admin, "velin_nope"), password), "", "does not exist", "create the database or fix the name"},
		{"missing pg_dump", withPassword(live, password), `pg_dump_path = "/nonexistent/pg_dump"`, "not found", "set pg_dump_path to a pg_dump of version 15"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newProject(t, fmt.Sprintf(postgresPlan, c.extra))
			p.env = append(p.env, "APP_DSN="+c.dsn)
			r := p.run("plan")
			out := r.stdout + r.stderr
			if r.code == 0 || !strings.Contains(out, c.cause) || !strings.Contains(out, c.says) || !strings.Contains(out, "postgres.app") {
				t.Errorf("plan: want a failure naming postgres.app, saying %q and %q: %s", c.cause, c.says, r)
			}
			if r := p.run("backup", "create"); r.code == 0 || len(p.snapshotsOrNone()) != 0 {
				t.Errorf("backup create: %s", r)
			}
			if strings.Contains(out, password) || strings.Contains(out, "the-R1ght-one-77") || len(grepTree(t, p.dir, password)) > 0 {
				t.Errorf("the password shows in the output or the project: %s", r)
			}
		})
	}
}
