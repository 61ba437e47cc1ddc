package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/velinhq/velin/providers/dbtest"
)

// TestE2EPostgresGlobals: a snapshot taken with globals = true restored
// with --to into a new server whose roles are missing. Without --globals
// the restore stops at the plan naming the missing role and changes
// nothing; --dry-run --globals lists the roles to create and those left
// alone; --globals --yes --json restores with the right owner. No output
// shows a password hash.
func TestE2EPostgresGlobals(t *testing.T) {
	src := dbtest.PostgresPassword(t, "Src-admin-pw-5531")
	dst := dbtest.PostgresPassword(t, "Dst-admin-pw-5532")
	pgExec(t, src, `CREATE ROLE app_owner LOGIN PASSWORD 'Owner-s3cret-8812'`, `CREATE DATABASE app OWNER app_owner`)
	app := dbtest.WithDatabase(t, src, "app")
	pgExec(t, app, `SET ROLE app_owner`, `CREATE TABLE items (id int PRIMARY KEY)`, `INSERT INTO items VALUES (1), (2)`)
	to := dbtest.WithDatabase(t, dst, "app")
	hash := pgText(t, src, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_owner'")
	p := newProject(t, fmt.Sprintf(postgresPlan, "globals = true")+`
restore "dr" {
  from    = backup.nightly
  globals = true
}
`)
	p.env = append(p.env, "APP_DSN="+app)
	var outputs []string
	keep := func(r result) result {
		outputs = append(outputs, r.stdout, r.stderr)
		return r
	}
	keep(p.must("backup", "create"))
	r := keep(p.must("plan", "-restore", "dr")) // in place: every role exists
	wantIn(t, "plan -restore", r.stdout, "role app_owner", "exists on the server: left as it is")
	r = keep(p.run("backup", "restore", "latest", "--source", "postgres.app", "--to", to, "--yes"))
	if r.code == 0 {
		t.Fatalf("restore without --globals into a server without app_owner succeeded: %s", r)
	}
	wantIn(t, "restore without --globals", r.stdout+r.stderr, "app_owner", "--globals", "nothing was changed")
	if n := pgScalar(t, dst, "SELECT count(*) FROM pg_database WHERE datname = 'app'"); n != 0 {
		t.Fatalf("a refused restore created the database")
	}
	r = keep(p.must("backup", "restore", "latest", "--source", "postgres.app", "--to", to, "--globals", "--dry-run"))
	wantIn(t, "restore plan", r.stdout, "create    role app_owner", "unchanged role postgres")
	keep(p.must("backup", "restore", "latest", "--source", "postgres.app", "--to", to, "--globals", "--yes", "--json"))
	if n := pgScalar(t, to, "SELECT count(*) FROM pg_tables WHERE tablename = 'items' AND tableowner = 'app_owner'"); n != 1 {
		t.Fatalf("items is not owned by app_owner after the restore")
	}
	for _, out := range outputs {
		if strings.Contains(out, hash) || strings.Contains(out, "Owner-s3cret-8812") {
			t.Errorf("a password hash shows in the output:\n%s", out)
		}
	}
}

func pgText(t *testing.T, dsn, q string) string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var s string
	if err := conn.QueryRow(context.Background(), q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}
