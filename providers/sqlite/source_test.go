package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/velinhq/velin/engine/repo/snaptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

func openDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, false, false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// makeDB creates a WAL-mode database with two tables.
func makeDB(t testing.TB, path string) {
	db := openDB(t, path)
	exec(t, db, "PRAGMA journal_mode=WAL")
	exec(t, db, `CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, note BLOB)`)
	exec(t, db, `CREATE TABLE "odd ""name""" (k TEXT)`)
	for i := range 200 {
		exec(t, db, "INSERT INTO users (name, note) VALUES (?, ?)", fmt.Sprintf("user-%d-é", i), strings.Repeat("x", i))
	}
	exec(t, db, `INSERT INTO "odd ""name""" VALUES ('a'), ('b')`)
	db.Close()
}

// dump is the whole content of a database as text, for comparisons.
func dump(t testing.TB, path string) string {
	t.Helper()
	db := openDB(t, path)
	var b strings.Builder
	for _, q := range []string{`SELECT id || ':' || name || ':' || coalesce(length(note), -1) FROM users ORDER BY id`, `SELECT k FROM "odd ""name""" ORDER BY k`} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			b.WriteString(s + "\n")
		}
		rows.Close()
	}
	return b.String()
}

func setup(t testing.TB) sourcetest.Fixture {
	live := filepath.Join(t.TempDir(), "app.db")
	makeDB(t, live)
	src, err := New(live)
	if err != nil {
		t.Fatal(err)
	}
	return sourcetest.Fixture{
		Source: src,
		Live:   live,
		Dest: func(dir string) (string, string) {
			return dir, filepath.Join(dir, filepath.Base(live))
		},
		Mutate: func(t testing.TB) []string {
			db := openDB(t, live)
			exec(t, db, "INSERT INTO users (name) VALUES ('late')")
			exec(t, db, "DELETE FROM users WHERE id < 10")
			return []string{"app.db"}
		},
		Capture: func(t testing.TB) func(testing.TB, string) {
			want := dump(t, live)
			return func(t testing.TB, at string) {
				t.Helper()
				if err := integrityCheck(context.Background(), at); err != nil {
					t.Errorf("%s: %v", at, err)
				}
				if got := dump(t, at); got != want {
					t.Errorf("%s: content differs after restore:\n%.300s\nwant\n%.300s", at, got, want)
				}
			}
		},
	}
}

func TestSuite(t *testing.T) {
	sourcetest.Run(t, harness(nil))
}

func harness(snap func(testing.TB, provider.Tree) (provider.Sink, func() provider.Tree)) sourcetest.Harness {
	h := sourcetest.Harness{Setup: setup, NewSnapshot: snap}
	h.Asserts.True = provider.Assert{Name: "users", SQL: "SELECT count(*) > 0 FROM users"}
	h.Asserts.False = provider.Assert{Name: "none", SQL: "SELECT count(*) > 1000000 FROM users"}
	return h
}

// TestSuiteRealRepository runs the same suite against the engine's
// repository (encrypted, on disk) instead of the in-memory stand-in.
func TestSuiteRealRepository(t *testing.T) {
	sourcetest.Run(t, harness(snaptest.Snapshots(t)))
}
