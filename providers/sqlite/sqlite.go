package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/velinhq/velin/providers/provider"
)

// TypeName is the source type name in configurations.
const TypeName = "sqlite"

// Sentinel errors.
var (
	// ErrIntegrity means a database copy failed PRAGMA integrity_check.
	ErrIntegrity = errors.New("integrity check failed")
	// ErrTree means the tree does not hold exactly one database file.
	ErrTree = errors.New("snapshot does not hold exactly one database file")
)

// Type is the registry entry of `source "sqlite"`.
func Type() provider.SourceType {
	return provider.SourceType{Name: TypeName, Decode: Decode,
		Recover: func(id string) (provider.Source, error) { return Recover(id) }}
}

type config struct {
	Path string `hcl:"path"`
}

// Source backs up one SQLite database file.
type Source struct {
	path string // absolute
}

// New returns a source for the database at path.
func New(path string) (*Source, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite source %s: %w", path, err)
	}
	return &Source{path: abs}, nil
}

// Decode decodes a `source "sqlite"` body.
func Decode(body hcl.Body, dc provider.DecodeContext) (provider.Source, hcl.Diagnostics) {
	var cfg config
	diags := gohcl.DecodeBody(body, dc.Eval, &cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	if strings.TrimSpace(cfg.Path) == "" {
		attrs, _ := body.JustAttributes()
		rng := body.MissingItemRange()
		if a, ok := attrs["path"]; ok {
			rng = a.Expr.Range()
		}
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid path",
			Detail: "path must name the database file.", Subject: rng.Ptr()})
	}
	p := cfg.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(dc.Dir, p)
	}
	s, err := New(p)
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid path",
			Detail: err.Error(), Subject: body.MissingItemRange().Ptr()})
	}
	return s, diags
}

// dsn is a URI for database/sql; readOnly opens without creating or
// writing, immutable promises nobody else touches the file.
func dsn(path string, readOnly, immutable bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	if readOnly {
		q.Set("mode", "ro")
	}
	if immutable {
		q.Set("immutable", "1")
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

// stats are what velin reports about a database.
type stats struct {
	version string
	tables  int64
	rows    int64
	names   map[string]int64 // rows per table
}

// readStats counts tables and rows in one read transaction.
func readStats(ctx context.Context, dsn string) (stats, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return stats{}, err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return stats{}, err
	}
	defer tx.Rollback()
	st := stats{names: map[string]int64{}}
	if err := tx.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&st.version); err != nil {
		return stats{}, err
	}
	names, err := tableNames(ctx, tx)
	if err != nil {
		return stats{}, err
	}
	for _, name := range names {
		var n int64
		q := `SELECT COUNT(*) FROM "` + strings.ReplaceAll(name, `"`, `""`) + `"`
		if err := tx.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return stats{}, fmt.Errorf("count %s: %w", name, err)
		}
		st.names[name] = n
		st.tables++
		st.rows += n
	}
	return st, nil
}

func tableNames(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx,
		"SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// integrityCheck runs PRAGMA integrity_check on a private file.
func integrityCheck(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", dsn(path, true, true))
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrIntegrity, err)
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrIntegrity, err)
	}
	if len(msgs) != 1 || msgs[0] != "ok" {
		return fmt.Errorf("%w: %s", ErrIntegrity, strings.Join(msgs, "; "))
	}
	return nil
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
