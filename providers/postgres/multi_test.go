package postgres

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/provider"
)

// TestSeveralDatabasesAndGlobals: each database is its own entry, the
// globals another; counts add up; a test restore checks every database;
// --database restores one; globals are listed but never replayed.
func TestSeveralDatabasesAndGlobals(t *testing.T) {
	a, b := dbtest.Postgres(t), dbtest.Postgres(t)
	pgExec(t, a, `CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 5)`)
	pgExec(t, b, `CREATE TABLE u (y text); INSERT INTO u VALUES ('a'), ('b')`)
	ca, _ := parseConn(a)
	cb, _ := parseConn(b)
	s := newSource(t, Options{DSN: a, Databases: []string{ca.database, cb.database}, Globals: true})
	inspected, err := s.Inspect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tree, facts := backup(t, s)
	if facts.Files != 3 || facts.Rows != 7 || facts.Tables != 2 || inspected.Rows != 7 || inspected.Files != 3 {
		t.Errorf("facts %+v, inspected %+v", facts, inspected)
	}
	list, globals, err := dumps(context.Background(), tree, "")
	if err != nil || len(list) != 2 || globals == nil {
		t.Fatalf("dumps %v globals %v: %v", list, globals, err)
	}
	rc, err := tree.Open(context.Background(), *globals)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Contains(g, []byte("CREATE ROLE postgres")) {
		t.Errorf("globals dump lacks the roles: %.300s", g)
	}
	rep, err := s.TestRestore(context.Background(), tree, provider.TestRestoreOptions{ID: "multi" + strings.ReplaceAll(ca.database[8:], "_", "")[:10],
		Asserts: []provider.Assert{{Name: "t", SQL: "SELECT count(*) = 5 FROM t"}}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Rows != 7 || rep.Counts.Files != 3 || rep.Counts.Bytes != facts.Bytes || len(rep.Failed()) != 0 {
		t.Errorf("test restore %+v", rep)
	}
	changes, err := s.PlanRestore(context.Background(), tree, provider.RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if last := changes[len(changes)-1]; !strings.Contains(last.What, "globals") || !strings.Contains(last.Detail, "not replayed") {
		t.Errorf("plan does not explain the globals: %+v", last)
	}
	pgExec(t, a, `DELETE FROM t`)
	pgExec(t, b, `DELETE FROM u`)
	if err := s.Restore(context.Background(), tree, provider.RestoreOptions{Database: cb.database}); err != nil {
		t.Fatal(err)
	}
	if na, nb := scalar[int64](t, a, "SELECT count(*) FROM t"), scalar[int64](t, b, "SELECT count(*) FROM u"); na != 0 || nb != 2 {
		t.Errorf("--database %s restored: t %d rows (want 0, untouched), u %d (want 2)", cb.database, na, nb)
	}
	to := dbtest.Postgres(t)
	err = s.Restore(context.Background(), tree, provider.RestoreOptions{To: to})
	if err == nil || !strings.Contains(err.Error(), "choose one with --database") {
		t.Errorf("restore of two databases into one named by --to: %v", err)
	}
}

// TestTestRestoreCancelled: a test restore cancelled while psql runs
// still drops its scratch database and leaves no psql running.
func TestTestRestoreCancelled(t *testing.T) {
	live := dbtest.Postgres(t)
	pgExec(t, live, `CREATE TABLE t (x int); INSERT INTO t VALUES (1)`)
	dir := t.TempDir()
	mark := dir + "/psql-started"
	writeTool(t, dir+"/pg_dump", `exec /usr/bin/pg_dump "$@"`)
	writeTool(t, dir+"/psql", `touch `+mark+`; cat > /dev/null; sleep 300`)
	s := newSource(t, Options{DSN: live, PgDumpPath: dir})
	tree, _ := backup(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for i := 0; i < 1200 && !exists(mark); i++ { // 60 s: cancel while psql runs
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		cancel()
	}()
	id := "cancel" + strings.ReplaceAll(dbtest.Name(t)[8:], "_", "")[:12]
	_, err := s.TestRestore(ctx, tree, provider.TestRestoreOptions{ID: id})
	if err == nil {
		t.Fatal("cancelled test restore succeeded")
	}
	if n := scalar[int64](t, dbtest.PostgresAdmin(), "SELECT count(*) FROM pg_database WHERE datname = '"+verifyPrefix+id+"'"); n != 0 {
		t.Error("a cancelled test restore left its database")
	}
}

func writeTool(t testing.TB, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
