package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

// TestRestoreGlobalsToNewServer is the disaster-recovery case: a snapshot
// (globals = true) of a server where app_owner (LOGIN, a password, member
// of app_group) owns the tables is restored with --to into a fresh
// server. Without --globals the plan names the missing roles and the
// restore fails leaving the database as it was; with it the roles are
// created as dumped, the owner is right, and the server's own roles are
// left alone. The password hash shows in no plan, error or JSON.
func TestRestoreGlobalsToNewServer(t *testing.T) {
	ctx := context.Background()
	src := dbtest.PostgresPassword(t, "Src-admin-pw")
	dst := dbtest.PostgresPassword(t, "Dst-admin-pw")
	pgExec(t, src, `CREATE ROLE app_group NOLOGIN; CREATE ROLE reader NOLOGIN;
		CREATE ROLE app_owner LOGIN CREATEDB CONNECTION LIMIT 7 PASSWORD 'App-owner-s3cret' IN ROLE app_group;
		CREATE ROLE keeper LOGIN CREATEROLE`)
	pgExec(t, src, "CREATE DATABASE app OWNER app_owner")
	app := dbtest.WithDatabase(t, src, "app")
	pgExec(t, app, `SET ROLE app_owner; CREATE TABLE items (id int PRIMARY KEY, name text);
		INSERT INTO items VALUES (1, 'a'), (2, 'b'); RESET ROLE; GRANT SELECT ON items TO reader`)
	hash := scalar[string](t, src, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_owner'")
	s := newSource(t, Options{DSN: app, Globals: true})
	tree := withTablespace(t, backupTree(t, s))

	pgExec(t, dst, "CREATE ROLE keeper NOLOGIN")
	pgExec(t, dst, "CREATE DATABASE app")
	to := dbtest.WithDatabase(t, dst, "app")
	pgExec(t, to, "CREATE TABLE old (id int); INSERT INTO old VALUES (1), (2), (3)")
	noSecret := func(what, text string) {
		t.Helper()
		if strings.Contains(text, hash) || strings.Contains(text, "App-owner-s3cret") {
			t.Fatalf("%s shows the password hash: %s", what, text)
		}
	}

	_, err := s.PlanRestore(ctx, tree, provider.RestoreOptions{To: to})
	if !errors.Is(err, ErrMissingRoles) || !strings.Contains(err.Error(), "app_owner, reader") || !strings.Contains(err.Error(), "--globals") {
		t.Fatalf("plan without --globals: %v, want missing roles app_owner, reader and --globals", err)
	}
	err = s.Restore(ctx, tree, provider.RestoreOptions{To: to})
	if err == nil || !strings.Contains(err.Error(), "--globals") {
		t.Fatalf("restore without --globals: %v, want a failure saying --globals", err)
	}
	noSecret("restore error", err.Error())
	if got := scalar[string](t, to, "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'"); got != "old" {
		t.Fatalf("after a failed restore the tables are %q, want old only", got)
	}

	changes, err := s.PlanRestore(ctx, tree, provider.RestoreOptions{To: to, Globals: true})
	if err != nil {
		t.Fatalf("plan with --globals: %v", err)
	}
	js, _ := json.Marshal(changes)
	noSecret("plan", string(js))
	for _, want := range []string{`"action":"create","what":"role app_owner"`, `"action":"create","what":"role reader"`,
		`"action":"unchanged","what":"role keeper"`, `"what":"role postgres"`, `NOT created: its location /nonexistent/velin-ts`} {
		if !strings.Contains(string(js), want) {
			t.Fatalf("plan lacks %s:\n%s", want, js)
		}
	}
	if err := s.Restore(ctx, tree, provider.RestoreOptions{To: to, Globals: true}); err != nil {
		noSecret("restore error", err.Error())
		t.Fatalf("restore with --globals: %v", err)
	}
	for q, want := range map[string]string{
		"SELECT format('%s %s %s', rolcanlogin, rolcreatedb, rolconnlimit) FROM pg_roles WHERE rolname = 'app_owner'": "t t 7",
		"SELECT (rolpassword = '" + hash + "')::text FROM pg_authid WHERE rolname = 'app_owner'":                      "true",
		"SELECT pg_has_role('app_owner', 'app_group', 'MEMBER')::text":                                                "true",
		"SELECT tableowner FROM pg_tables WHERE tablename = 'items'":                                                  "app_owner",
		"SELECT has_table_privilege('reader', 'public.items', 'SELECT')::text":                                        "true",
		"SELECT format('%s %s', rolcanlogin, rolcreaterole) FROM pg_roles WHERE rolname = 'keeper'":                   "f f",
		"SELECT count(*)::text FROM items":                                                                            "2",
	} {
		if got := scalar[string](t, to, q); got != want {
			t.Errorf("%s = %q, want %q", q, got, want)
		}
	}
}

func backupTree(t testing.TB, s *Source) *sourcetest.MemTree {
	tree, _ := backup(t, s)
	return tree
}

// withTablespace adds to the snapshot's globals.sql a tablespace whose
// location no server has.
func withTablespace(t testing.TB, tree *sourcetest.MemTree) provider.Tree {
	t.Helper()
	entries := tree.Entries()
	content := map[string][]byte{}
	for p := range entries {
		b, _ := tree.Content(p)
		content[p] = b
	}
	g, ok := content[globalsEntry]
	if !ok {
		t.Fatal("the snapshot holds no globals.sql")
	}
	content[globalsEntry] = append(g, "CREATE TABLESPACE lost OWNER app_owner LOCATION '/nonexistent/velin-ts';\n"...)
	e := entries[globalsEntry]
	e.Size = int64(len(content[globalsEntry]))
	entries[globalsEntry] = e
	return sourcetest.NewMemTree(entries, content)
}

// TestReadGlobals: roles with their statements, memberships without
// GRANTED BY, tablespaces, quoted names; comments, SET and psql
// meta-commands skipped.
func TestReadGlobals(t *testing.T) {
	const script = `\restrict abc
--
-- Roles
--
SET standard_conforming_strings = on;
CREATE ROLE "Odd ""Role""";
ALTER ROLE "Odd ""Role""" WITH NOSUPERUSER LOGIN PASSWORD 'SCRAM-SHA-256$4096:salt$key';
ALTER ROLE "Odd ""Role""" IN DATABASE app SET work_mem TO '8MB';
COMMENT ON ROLE "Odd ""Role""" IS 'two
lines; here';
CREATE ROLE grp;
GRANT grp TO "Odd ""Role""" GRANTED BY postgres;
CREATE TABLESPACE ts OWNER grp LOCATION '/srv/it''s';
GRANT CREATE ON TABLESPACE ts TO grp;
\unrestrict abc
`
	g, err := readGlobals(strings.NewReader(script))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.roles) != 2 || g.roles[0].name != `Odd "Role"` || len(g.roles[0].stmts) != 3 || g.roles[1].name != "grp" {
		t.Fatalf("roles %+v", g.roles)
	}
	if len(g.grants) != 1 || g.grants[0].member != `Odd "Role"` || g.grants[0].stmt != `GRANT grp TO "Odd ""Role""";` {
		t.Fatalf("grants %+v", g.grants)
	}
	if len(g.tablespaces) != 1 || g.tablespaces[0].location != "/srv/it's" || len(g.tablespaces[0].stmts) != 2 {
		t.Fatalf("tablespaces %+v", g.tablespaces)
	}
	if len(g.secrets) != 1 || g.secrets[0] != "SCRAM-SHA-256$4096:salt$key" {
		t.Fatalf("secrets %q", g.secrets)
	}
	if got := g.redact(errors.New("near SCRAM-SHA-256$4096:salt$key")).Error(); got != "near ***" {
		t.Fatalf("redact: %q", got)
	}
}
