package sqlassert

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/velinhq/velin/providers/provider"
)

func TestRun(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE c(x INTEGER); INSERT INTO c VALUES (1),(2)"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		sql    string
		passed bool
		detail string
	}{
		{"SELECT count(*) > 0 FROM c", true, "returned true"},
		{"SELECT count(*) FROM c", true, "returned true"},
		{"SELECT 'true'", true, "returned true"},
		{"SELECT count(*) > 5 FROM c", false, "returned 0, not true"},
		{"SELECT NULL", false, "returned NULL, not true"},
		{"SELECT 'no'", false, `returned "no", not true`},
		{"SELECT x FROM c", false, "more than one row"},
		{"SELECT x FROM c WHERE x > 9", false, "no row"},
		{"SELECT 1, 2", false, "2 columns"},
		{"SELECT * FROM missing", false, "query failed"},
	}
	var asserts []provider.Assert
	for i, c := range cases {
		asserts = append(asserts, provider.Assert{Name: string(rune('a' + i)), SQL: c.sql})
	}
	res := Run(context.Background(), db, asserts)
	if len(res) != len(cases) {
		t.Fatalf("%d results for %d asserts", len(res), len(cases))
	}
	for i, c := range cases {
		r := res[i]
		if r.Passed != c.passed || !strings.Contains(r.Detail, c.detail) || r.Kind != "assert" || r.Name != "assert "+asserts[i].Name {
			t.Errorf("%s: got %+v, want passed=%v detail ~ %q", c.sql, r, c.passed, c.detail)
		}
	}
}

func TestCheck(t *testing.T) {
	if err := Check(provider.Assert{Name: "x", SQL: "SELECT 1"}); err != nil {
		t.Error(err)
	}
	if err := Check(provider.Assert{Name: "x", Keys: "a:*"}); err == nil || !strings.Contains(err.Error(), "sql") {
		t.Errorf("keys accepted: %v", err)
	}
	if err := Check(provider.Assert{Name: "x", SQL: "SELECT 1", MinCount: 3}); err == nil {
		t.Error("min_count accepted")
	}
}
