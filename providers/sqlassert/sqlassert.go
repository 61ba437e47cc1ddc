package sqlassert

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

// Querier is what Run needs of a connection (*sql.DB, *sql.Conn, *sql.Tx).
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Check refuses an assertion that is not SQL, for provider.Asserter.
func Check(a provider.Assert) error {
	if strings.TrimSpace(a.SQL) == "" {
		return fmt.Errorf("assert %q: this source checks SQL: set sql = \"SELECT …\" (a query returning one true value)", a.Name)
	}
	if a.Keys != "" || a.MinCount != 0 {
		return fmt.Errorf("assert %q: keys and min_count are for Redis sources; use sql here", a.Name)
	}
	return nil
}

// Run runs every assertion on q and returns one result each, in order. A
// query that fails is a failed check whose detail is the error.
func Run(ctx context.Context, q Querier, asserts []provider.Assert) []provider.CheckResult {
	out := make([]provider.CheckResult, 0, len(asserts))
	for _, a := range asserts {
		start := time.Now()
		ok, detail := one(ctx, q, a.SQL)
		out = append(out, provider.CheckResult{Name: "assert " + a.Name, Kind: "assert", Passed: ok,
			Detail: detail, DurationMS: time.Since(start).Milliseconds()})
	}
	return out
}

func one(ctx context.Context, q Querier, query string) (bool, string) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return false, "query failed: " + err.Error()
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return false, "query failed: " + err.Error()
	}
	if len(cols) != 1 {
		return false, fmt.Sprintf("returned %d columns; an assertion returns one true value", len(cols))
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return false, "query failed: " + err.Error()
		}
		return false, "returned no row; an assertion returns one true value"
	}
	var v any
	if err := rows.Scan(&v); err != nil {
		return false, "query failed: " + err.Error()
	}
	if rows.Next() {
		return false, "returned more than one row; an assertion returns one true value"
	}
	if err := rows.Err(); err != nil {
		return false, "query failed: " + err.Error()
	}
	if Truth(v) {
		return true, "returned true"
	}
	return false, fmt.Sprintf("returned %s, not true", show(v))
}

// Truth says whether a scanned value counts as true.
func Truth(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case int64:
		return x != 0
	case int32:
		return x != 0
	case float64:
		return x != 0
	case []byte:
		return textTruth(string(x))
	case string:
		return textTruth(x)
	}
	return false
}

func textTruth(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "t", "true", "1":
		return true
	}
	if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
		return f != 0
	}
	return false
}

func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return strconv.Quote(string(x))
	case string:
		return strconv.Quote(x)
	}
	return fmt.Sprint(v)
}
