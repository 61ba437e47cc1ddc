package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/sourcetest"
)

// withRole creates a login role with no privileges (the test server
// trusts local connections: no password) and returns dsn as that role.
func withRole(t *testing.T, dsn string) (string, string) {
	t.Helper()
	role := fmt.Sprintf("velin_r%d", time.Now().UnixNano()%1_000_000_000)
	admin := dbtest.PostgresAdmin()
	pgExec(t, admin, "CREATE ROLE "+role+" LOGIN")
	t.Cleanup(func() { pgExec(t, admin, "DROP ROLE IF EXISTS "+role) })
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return u.String(), role
}

// TestInspectPrivileges: a user who may not read every table and schema
// pg_dump reads gets, from Inspect (velin plan) and before Backup stores
// anything, an error naming what is missing and the GRANT that fixes it.
func TestInspectPrivileges(t *testing.T) {
	live := dbtest.Postgres(t)
	pgExec(t, live, `CREATE TABLE public.orders (id int); CREATE SEQUENCE public.ticket;
		CREATE SCHEMA hidden; CREATE TABLE hidden.secrets (id int); CREATE TABLE public.skipped (id int)`)
	dsn, role := withRole(t, live)
	s := newSource(t, Options{DSN: dsn, ExcludeTables: []string{"public.skipped"}})
	_, err := s.Inspect(context.Background())
	if err == nil || !errors.Is(err, ErrPrivileges) {
		t.Fatalf("inspect as a user without privileges: %v, want %v", err, ErrPrivileges)
	}
	for _, want := range []string{"inspect postgres " + role + "@", "user " + role + " lacks",
		`no USAGE on schema hidden`, `SELECT on "public"."orders", "public"."ticket"`,
		`GRANT USAGE ON SCHEMA "hidden" TO "` + role + `"`,
		`GRANT SELECT ON ALL TABLES IN SCHEMA "hidden", "public" TO "` + role + `"`,
		`GRANT SELECT ON ALL SEQUENCES IN SCHEMA "hidden", "public" TO "` + role + `"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "skipped") {
		t.Errorf("error names a table exclude_tables leaves out: %v", err)
	}
	snap := sourcetest.NewMemSnapshot(nil)
	if _, err := s.Backup(context.Background(), snap, optsNone); !errors.Is(err, ErrPrivileges) {
		t.Errorf("backup: %v, want %v", err, ErrPrivileges)
	}
	if puts, _ := snap.Counts(); puts != 0 {
		t.Errorf("a refused backup stored %d entries", puts)
	}

	// Granted what the error says, the same user passes.
	pgExec(t, live, "GRANT USAGE ON SCHEMA hidden TO "+role+"; GRANT SELECT ON ALL TABLES IN SCHEMA hidden TO "+role+
		"; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "+role+"; GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO "+role)
	t.Cleanup(func() { pgExec(t, live, "DROP OWNED BY "+role) })
	if _, err := s.Inspect(context.Background()); err != nil {
		t.Errorf("inspect after the grants: %v", err)
	}
}
