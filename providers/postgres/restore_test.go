package postgres

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

// backup returns a fresh in-memory snapshot of s.
func backup(t testing.TB, s *Source) (*sourcetest.MemTree, provider.Facts) {
	t.Helper()
	snap := sourcetest.NewMemSnapshot(nil)
	facts, err := s.Backup(context.Background(), snap, optsNone)
	if err != nil {
		t.Fatal(err)
	}
	return snap.Finish(), facts
}

// dumpOf reads the one database dump of tree.
func dumpOf(t testing.TB, tree provider.Tree) (provider.Entry, []byte) {
	t.Helper()
	list, _, err := dumps(context.Background(), tree, "")
	if err != nil || len(list) != 1 {
		t.Fatalf("dumps: %v %v", list, err)
	}
	rc, err := tree.Open(context.Background(), list[0].entry)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return list[0].entry, b
}

// withContent is a tree of one dump entry holding data.
func withContent(e provider.Entry, data []byte) provider.Tree {
	e.Size = int64(len(data))
	return sourcetest.NewMemTree(map[string]provider.Entry{e.Path: e}, map[string][]byte{e.Path: data})
}

func scalar[T any](t testing.TB, dsn, q string) T {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var v T
	if err := c.QueryRow(context.Background(), q).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// TestRestoreSQLFailsMidway: a dump whose SQL fails after half of it ran
// (tables dropped and recreated, some rows loaded) changes nothing.
func TestRestoreSQLFailsMidway(t *testing.T) {
	live := richDB(t)
	s := newSource(t, Options{DSN: live})
	tree, _ := backup(t, s)
	pgExec(t, live, `DELETE FROM shop.orders WHERE id > 100; INSERT INTO public.audit (what) VALUES ('after backup')`)
	before := content(t, live)
	e, data := dumpOf(t, tree)
	i := bytes.Index(data, []byte("COPY shop.orders_2025"))
	if i < 0 {
		t.Fatal("no COPY shop.orders_2025 in the dump")
	}
	bad := append(append(append([]byte{}, data[:i]...), "SELECT velin_no_such_function();\n"...), data[i:]...)
	err := s.Restore(context.Background(), withContent(e, bad), provider.RestoreOptions{})
	if err == nil || !strings.Contains(err.Error(), "velin_no_such_function") {
		t.Fatalf("restore of a failing dump: %v", err)
	}
	sameContent(t, before, content(t, live))
}

// TestRestoreTables: --table replaces only that table's rows.
func TestRestoreTables(t *testing.T) {
	live := richDB(t)
	s := newSource(t, Options{DSN: live})
	tree, _ := backup(t, s)
	want := scalar[int64](t, live, `SELECT count(*) FROM shop.orders_2025`)
	pgExec(t, live, `DELETE FROM shop.notes; DELETE FROM shop.orders WHERE id > 100; INSERT INTO public.audit (what) VALUES ('kept')`)
	opts := provider.RestoreOptions{Tables: []string{"shop.orders_2025", `"Odd Schema"."Tablé ""quoted"""`}}
	changes, err := s.PlanRestore(context.Background(), tree, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 3 || changes[1].What != `table "Odd Schema"."Tablé ""quoted"""` || changes[2].Action != "replace" {
		t.Errorf("plan: %+v", changes)
	}
	pgExec(t, live, `DELETE FROM "Odd Schema"."Tablé ""quoted"""`)
	if err := s.Restore(context.Background(), tree, opts); err != nil {
		t.Fatal(err)
	}
	if n := scalar[int64](t, live, `SELECT count(*) FROM shop.orders_2025`); n != want {
		t.Errorf("orders_2025 has %d rows after its restore", n)
	}
	if n := scalar[int64](t, live, `SELECT count(*) FROM "Odd Schema"."Tablé ""quoted"""`); n != 3 {
		t.Errorf("odd table has %d rows after its restore", n)
	}
	if n := scalar[int64](t, live, `SELECT count(*) FROM public.audit WHERE what = 'kept'`); n != 1 {
		t.Error("a table not named was touched")
	}
	err = s.Restore(context.Background(), tree, provider.RestoreOptions{Tables: []string{"shop.nothing"}})
	if err == nil || !strings.Contains(err.Error(), "shop.nothing") {
		t.Errorf("restore of a table the dump lacks: %v", err)
	}
}

// TestRestoreTo: --to with a database that does not exist creates it.
func TestRestoreTo(t *testing.T) {
	live := richDB(t)
	s := newSource(t, Options{DSN: live})
	tree, _ := backup(t, s)
	name := dbtest.Name(t)
	t.Cleanup(func() { dbtest.DropPostgres(t, name) })
	to := dbtest.WithDatabase(t, dbtest.PostgresAdmin(), name)
	changes, err := s.PlanRestore(context.Background(), tree, provider.RestoreOptions{To: to})
	if err != nil || changes[0].Action != "create" || changes[0].Current != "" {
		t.Fatalf("plan into a missing database: %+v %v", changes, err)
	}
	if err := s.Restore(context.Background(), tree, provider.RestoreOptions{To: to, Database: s.conn.database}); err != nil {
		t.Fatal(err)
	}
	sameContent(t, content(t, live), content(t, to))
	err = s.Restore(context.Background(), tree, provider.RestoreOptions{Database: "other"})
	if err == nil || !strings.Contains(err.Error(), "--database other: the snapshot holds "+s.conn.database) {
		t.Errorf("restore of a database the snapshot lacks: %v", err)
	}
}

// TestRestoreBlocked: a session holding a lock makes the restore fail,
// naming it, unless terminate_connections is set.
func TestRestoreBlocked(t *testing.T) {
	live := richDB(t)
	s := newSource(t, Options{DSN: live})
	s.lockTimeout = 500 * time.Millisecond
	tree, _ := backup(t, s)
	c, err := pgx.Connect(context.Background(), live+"&application_name=velin-blocker")
	if err != nil {
		c, err = pgx.Connect(context.Background(), live+"?application_name=velin-blocker")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(context.Background(), "BEGIN; LOCK TABLE shop.customers IN ACCESS SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	err = s.Restore(context.Background(), tree, provider.RestoreOptions{})
	if !errors.Is(err, ErrBlocked) || !strings.Contains(err.Error(), "velin-blocker") || !strings.Contains(err.Error(), "terminate_connections = true") {
		t.Fatalf("blocked restore: %v", err)
	}
	s.opts.TerminateConnections = true
	// pg_terminate_backend does not wait for the session to end: its lock
	// goes a moment later, which a loaded machine can stretch past 500 ms.
	s.lockTimeout = 10 * time.Second
	if err := s.Restore(context.Background(), tree, provider.RestoreOptions{}); err != nil {
		t.Fatalf("restore terminating sessions: %v", err)
	}
}

// TestDeterministicDump: two backups of an unchanged database store the
// same bytes (the \restrict key is derived, not random), and the filters
// are honoured.
func TestDeterministicDump(t *testing.T) {
	live := richDB(t)
	s := newSource(t, Options{DSN: live, ExcludeTables: []string{"shop.notes"}, ExcludeTableData: []string{"public.scratch"}})
	t1, f1 := backup(t, s)
	t2, _ := backup(t, s)
	_, d1 := dumpOf(t, t1)
	e2, d2 := dumpOf(t, t2)
	if !bytes.Equal(d1, d2) {
		t.Error("two dumps of an unchanged database differ")
	}
	if !bytes.Contains(d1, []byte(`\restrict `+s.restrictKey(s.conn.database))) {
		t.Error("dump lacks the derived restrict key")
	}
	if bytes.Contains(d1, []byte("shop.notes")) || !bytes.Contains(d1, []byte("CREATE TABLE public.scratch")) ||
		!bytes.Contains(d1, []byte("COPY public.scratch (id) FROM stdin;\n\\.\n")) && bytes.Contains(d1, []byte("COPY public.scratch")) {
		t.Error("exclude_tables / exclude_table_data not honoured")
	}
	if e2.Meta["database"] != s.conn.database || e2.Meta["client_version"] != "15.20" || e2.Meta["server_version"] == "" {
		t.Errorf("entry meta %v", e2.Meta)
	}
	// rows: 150 customers, 200 orders in 2 partitions, 3 odd, 1 audit row per 2026 order
	if f1.Tables == 0 || f1.Rows != scalar[int64](t, live, `SELECT (SELECT count(*) FROM shop.customers) + (SELECT count(*) FROM shop.orders)
		+ (SELECT count(*) FROM "Odd Schema"."Tablé ""quoted""") + (SELECT count(*) FROM public.audit)`) {
		t.Errorf("facts %d tables %d rows", f1.Tables, f1.Rows)
	}
	if f1.Details["client"] == "" || !strings.HasPrefix(f1.Details["client_version"], "pg_dump 15") {
		t.Errorf("details %v", f1.Details)
	}
}

// TestTestRestoreCleansUp: the scratch database is gone after a test
// restore, also a failed one; CleanLeftovers drops unused velin_verify_*.
func TestTestRestoreCleansUp(t *testing.T) {
	live := richDB(t)
	s := newSource(t, Options{DSN: live})
	tree, _ := backup(t, s)
	e, data := dumpOf(t, tree)
	bad := withContent(e, append(data[:len(data)/2:len(data)/2], "\nSELECT velin_no_such_function();\n"...))
	for name, tr := range map[string]provider.Tree{"ok": tree, "failing": bad} {
		id := "t" + strings.ToLower(strings.ReplaceAll(dbtest.Name(t)[8:], "_", ""))
		_, err := s.TestRestore(context.Background(), tr, provider.TestRestoreOptions{ID: id})
		if (err != nil) != (name == "failing") {
			t.Errorf("%s test restore: %v", name, err)
		}
		if n := scalar[int64](t, dbtest.PostgresAdmin(), "SELECT count(*) FROM pg_database WHERE datname = '"+verifyPrefix+id+"'"); n != 0 {
			t.Errorf("%s test restore left its database", name)
		}
	}
	left := verifyPrefix + "leftover" + strings.ReplaceAll(dbtest.Name(t)[8:], "_", "")
	pgExec(t, dbtest.PostgresAdmin(), "CREATE DATABASE "+left)
	t.Cleanup(func() { dbtest.DropPostgres(t, left) })
	dropped, err := s.CleanLeftovers(context.Background())
	if err != nil || !contains(dropped, left) {
		t.Errorf("clean leftovers: %v %v", dropped, err)
	}
}

// TestCleanLeftoversSparesOwned: a scratch database that a running test
// restore owns (its advisory lock held by the restore's admin session,
// before the restore has connected to it) is not dropped by another run's
// CleanLeftovers; once the owner is gone, it is.
func TestCleanLeftoversSparesOwned(t *testing.T) {
	s := newSource(t, Options{DSN: dbtest.Postgres(t)})
	name := verifyPrefix + "owned" + strings.ReplaceAll(dbtest.Name(t)[8:], "_", "")
	ctx := context.Background()
	owner, err := pgx.Connect(ctx, dbtest.PostgresAdmin())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(ctx, "SELECT pg_advisory_lock($1, hashtext($2))", leftoverLockKey, name); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dbtest.DropPostgres(t, name) })
	dropped, err := s.CleanLeftovers(ctx)
	if err != nil || contains(dropped, name) {
		t.Fatalf("clean leftovers dropped a database a running test restore owns: %v %v", dropped, err)
	}
	owner.Close(ctx)
	dropped, err = s.CleanLeftovers(ctx)
	if err != nil || !contains(dropped, name) {
		t.Errorf("clean leftovers kept a database whose owner is gone: %v %v", dropped, err)
	}
}

// TestPlanTableDataExcluded: a table whose rows exclude_table_data leaves
// out is dumped bare; a restore empties it, and the plan says so with the
// rows it has now (it is not "kept as it is").
func TestPlanTableDataExcluded(t *testing.T) {
	live := dbtest.Postgres(t)
	pgExec(t, live, `CREATE TABLE users (id int); INSERT INTO users SELECT generate_series(1, 5);
		CREATE TABLE task_queue (id int); INSERT INTO task_queue VALUES (1), (2);
		CREATE TABLE "Task Log" (id int)`)
	s := newSource(t, Options{DSN: live, ExcludeTableData: []string{"public.task_queue", `public."Task Log"`}})
	tree, _ := backup(t, s)
	pgExec(t, live, `INSERT INTO task_queue VALUES (3); INSERT INTO "Task Log" VALUES (1); CREATE TABLE later (id int)`)
	changes, err := s.PlanRestore(context.Background(), tree, provider.RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byWhat := map[string]provider.Change{}
	for _, c := range changes {
		byWhat[c.What] = c
	}
	for what, rows := range map[string]string{"table public.task_queue": "3 rows", `table public."Task Log"`: "1 row"} {
		c := byWhat[what]
		if c.Action != "replace" || c.Current != rows || c.Snapshot != "no rows (structure only)" || !strings.Contains(c.Detail, "emptied") {
			t.Errorf("%s: %+v, want replace, emptied, now %s", what, c, rows)
		}
	}
	if c := byWhat["table public.later"]; c.Action != "unchanged" {
		t.Errorf("a table the dump does not hold: %+v", c)
	}
	if c := byWhat["table public.users"]; c.Action != "replace" || c.Snapshot != "5 rows" {
		t.Errorf("users: %+v", c)
	}
	if err := s.Restore(context.Background(), tree, provider.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := scalar[int64](t, live, `SELECT count(*) FROM task_queue`); n != 0 {
		t.Errorf("task_queue has %d rows after the restore; the plan said emptied", n)
	}
}
