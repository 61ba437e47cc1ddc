package mysql

import (
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/velinhq/velin/engine/repo/snaptest"
	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

// dbOf is the database a mysql:// URL names.
func dbOf(t testing.TB, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(p.Path, "/")
}

func mustExec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%.200s: %v", q, err)
	}
}

// makeDB fills the database of u with two related tables, a view, a
// trigger and a procedure.
func makeDB(t testing.TB, u string) {
	db := dbtest.OpenMySQL(t, dbOf(t, u))
	defer db.Close()
	mustExec(t, db, `CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100), note BLOB) ENGINE=InnoDB`)
	mustExec(t, db, "CREATE TABLE `odd ``name``` (k VARCHAR(10), user_id INT, FOREIGN KEY (user_id) REFERENCES users(id))")
	mustExec(t, db, `CREATE TABLE audit (n INT)`)
	for i := range 200 {
		mustExec(t, db, "INSERT INTO users (name, note) VALUES (?, ?)", fmt.Sprintf("user-%d-é😀 it's (x)", i), strings.Repeat("\x00;'(", i))
	}
	mustExec(t, db, "INSERT INTO `odd ``name``` VALUES ('a', 1), ('b', 2)")
	mustExec(t, db, `CREATE VIEW named AS SELECT id, name FROM users WHERE id < 10`)
	mustExec(t, db, `CREATE TRIGGER users_ai AFTER INSERT ON users FOR EACH ROW INSERT INTO audit VALUES (NEW.id)`)
	mustExec(t, db, `CREATE PROCEDURE hello() SELECT COUNT(*) FROM users`)
}

// content is a database's whole content as text: every table's definition
// and rows, views, triggers, routines and events.
func content(t testing.TB, u string) string {
	t.Helper()
	name := dbOf(t, u)
	db := dbtest.OpenMySQL(t, name)
	defer db.Close()
	var b strings.Builder
	for _, r := range query(t, db, `SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`, name) {
		if r[1] == "VIEW" {
			v := query(t, db, "SHOW CREATE VIEW "+quote(r[0]))[0][1]
			b.WriteString(strings.ReplaceAll(v, quote(name)+".", "") + "\n")
			continue
		}
		b.WriteString(query(t, db, "SHOW CREATE TABLE "+quote(r[0]))[0][1] + "\n")
		var rows []string
		for _, row := range query(t, db, "SELECT * FROM "+quote(r[0])) {
			rows = append(rows, hex.EncodeToString([]byte(strings.Join(row, "\x01"))))
		}
		sort.Strings(rows)
		b.WriteString(strings.Join(rows, "\n") + "\n")
	}
	for _, q := range []string{
		`SELECT TRIGGER_NAME, ACTION_STATEMENT, ACTION_TIMING, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY 1`,
		`SELECT ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY 1`,
		`SELECT EVENT_NAME, EVENT_DEFINITION, INTERVAL_VALUE, INTERVAL_FIELD, STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY 1`,
	} {
		for _, row := range query(t, db, q, name) {
			b.WriteString(strings.Join(row, " | ") + "\n")
		}
	}
	return b.String()
}

func query(t testing.TB, db *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		v, err := scanText(rows)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func newSource(t testing.TB, opts Options) *Source {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func setup(t testing.TB) sourcetest.Fixture {
	live := dbtest.MySQL(t)
	makeDB(t, live)
	return sourcetest.Fixture{
		Source: newSource(t, Options{DSN: live}),
		Live:   live,
		Dest: func(string) (string, string) {
			u := dbtest.MySQL(t)
			return u, u
		},
		Mutate: func(t testing.TB) []string {
			db := dbtest.OpenMySQL(t, dbOf(t, live))
			defer db.Close()
			mustExec(t, db, "INSERT INTO users (name) VALUES ('late')")
			mustExec(t, db, "DELETE FROM `odd ``name```")
			mustExec(t, db, "DELETE FROM users WHERE id BETWEEN 20 AND 30")
			mustExec(t, db, "DROP VIEW named")
			mustExec(t, db, "CREATE TABLE extra (x INT)")
			return []string{dbOf(t, live) + ".sql"}
		},
		Capture: func(t testing.TB) func(testing.TB, string) {
			want := content(t, live)
			return func(t testing.TB, at string) {
				t.Helper()
				if got := content(t, at); got != want {
					t.Errorf("%s: content differs after restore:\n%s", at, diff(got, want))
				}
			}
		},
	}
}

// diff shows the lines only one side has.
func diff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	in := func(list []string) map[string]bool {
		m := map[string]bool{}
		for _, l := range list {
			m[l] = true
		}
		return m
	}
	gm, wm := in(g), in(w)
	var out []string
	for _, l := range g {
		if !wm[l] {
			out = append(out, "+ "+l)
		}
	}
	for _, l := range w {
		if !gm[l] {
			out = append(out, "- "+l)
		}
	}
	sort.Strings(out)
	if len(out) > 20 {
		out = out[:20]
	}
	return strings.Join(out, "\n")
}

func harness(snap func(testing.TB, provider.Tree) (provider.Sink, func() provider.Tree)) sourcetest.Harness {
	h := sourcetest.Harness{Setup: setup, NewSnapshot: snap}
	h.Asserts.True = provider.Assert{Name: "users", SQL: "SELECT count(*) > 0 FROM users"}
	h.Asserts.False = provider.Assert{Name: "none", SQL: "SELECT count(*) > 1000000 FROM users"}
	return h
}

func TestSuite(t *testing.T) {
	sourcetest.Run(t, harness(nil))
}

// TestSuiteRealRepository runs the same suite against the engine's
// repository (encrypted, on disk).
func TestSuiteRealRepository(t *testing.T) {
	h := harness(snaptest.Snapshots(t))
	h.Kill = &sourcetest.Kill{
		Repo: snaptest.Shared,
		Reopen: func(t testing.TB, live, tool string) provider.Source {
			return newSource(t, Options{DSN: live, DumpPath: tool})
		},
		SleepingTool: func(t testing.TB, mark string) string {
			return fakeDump(t, "echo $$ > "+mark+"; echo '-- MariaDB dump'; exec sleep 300")
		},
		Grow: func(t testing.TB, fx sourcetest.Fixture) {
			db := dbtest.OpenMySQL(t, dbOf(t, fx.Live))
			defer db.Close()
			mustExec(t, db, "CREATE TABLE filler (id INT PRIMARY KEY, pad VARCHAR(200)) AS SELECT seq AS id, REPEAT(MD5(seq), 4) AS pad FROM seq_1_to_20000")
		},
		DumpTool:    "mariadb-dump",
		RestoreTool: "mariadb",
		Leftovers:   scratchSchemas,
	}
	sourcetest.Run(t, h)
}

// scratchSchemas lists the velin_restore_* and velin_verify_* schemas
// on the server (any test's or run's).
func scratchSchemas(t testing.TB, _ sourcetest.Fixture) []string {
	db := dbtest.OpenMySQL(t, "")
	defer db.Close()
	var out []string
	for _, r := range query(t, db, `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA
		WHERE SCHEMA_NAME LIKE 'velin\_restore\_%' OR SCHEMA_NAME LIKE 'velin\_verify\_%'`) {
		out = append(out, r[0])
	}
	return out
}
