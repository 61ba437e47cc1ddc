package dbtest

import (
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresAdmin is the administrative DSN (VELIN_TEST_PG).
func PostgresAdmin() string {
	return env("VELIN_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
}

// Postgres creates an empty database for t and returns its DSN; the
// database is dropped (with its sessions) when t ends.
func Postgres(t testing.TB) string {
	t.Helper()
	admin := PostgresAdmin()
	c, cancel := ctx()
	defer cancel()
	conn, err := pgx.Connect(c, admin)
	if err != nil {
		unavailable(t, "PostgreSQL", "VELIN_TEST_PG", "sudo service postgresql start", err)
	}
	defer conn.Close(c)
	name := Name(t)
	if _, err := conn.Exec(c, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("dbtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() { DropPostgres(t, name) })
	return WithDatabase(t, admin, name)
}

// DropPostgres drops a database if it exists, terminating its sessions.
func DropPostgres(t testing.TB, name string) {
	t.Helper()
	c, cancel := ctx()
	defer cancel()
	conn, err := pgx.Connect(c, PostgresAdmin())
	if err != nil {
		t.Errorf("dbtest: drop database %s: %v", name, err)
		return
	}
	defer conn.Close(c)
	if _, err := conn.Exec(c, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("dbtest: drop database %s: %v", name, err)
	}
}

// WithDatabase returns dsn (a postgres:// URL) naming database db instead.
func WithDatabase(t testing.TB, dsn, db string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("dbtest: VELIN_TEST_PG must be a postgres:// URL: %v", err)
	}
	u.Path = "/" + db
	return u.String()
}
