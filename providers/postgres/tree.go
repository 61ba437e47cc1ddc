package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/velinhq/velin/providers/provider"
)

// dump is one database's entry of a snapshot.
type dump struct {
	db    string
	entry provider.Entry
}

// dumps lists the tree's database dumps (by name), and the globals entry
// if any; only the database opts.Database when set.
func dumps(ctx context.Context, tree provider.Tree, only string) ([]dump, *provider.Entry, error) {
	var out []dump
	var globals *provider.Entry
	err := tree.Walk(ctx, func(e provider.Entry) error {
		if e.Kind != provider.KindFile {
			return nil
		}
		if e.Meta["kind"] == "globals" {
			g := e
			globals = &g
			return nil
		}
		db := e.Meta["database"]
		if db == "" {
			db = strings.TrimSuffix(e.Path, ".sql")
		}
		out = append(out, dump{db: db, entry: e})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].db < out[j].db })
	if only == "" {
		if len(out) == 0 {
			return nil, nil, fmt.Errorf("snapshot holds no database dump")
		}
		return out, globals, nil
	}
	var names []string
	for _, d := range out {
		if d.db == only {
			return []dump{d}, globals, nil
		}
		names = append(names, d.db)
	}
	return nil, nil, fmt.Errorf("--database %s: the snapshot holds %s", only, strings.Join(names, ", "))
}

// tableKey is a qualified table name without quotes: schema NUL table.
type tableKey string

// parseTable reads "schema.table" as written by pg_dump or a user:
// double-quoted parts keep their case and dots, "" is a quote.
func parseTable(s string) (tableKey, error) {
	i := unquotedDot(s)
	if i < 0 {
		return "", fmt.Errorf("table %q: name it as schema.table (e.g. public.%s)", s, s)
	}
	return tableKey(unquote(s[:i]) + "\x00" + unquote(s[i+1:])), nil
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return s
}

// String is the name quoted where SQL needs it.
func (k tableKey) String() string {
	schema, table, _ := strings.Cut(string(k), "\x00")
	return quoteIfNeeded(schema) + "." + quoteIfNeeded(table)
}

func quoteIfNeeded(s string) string {
	if s == "" {
		return `""`
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || i > 0 && (r >= '0' && r <= '9' || r == '$')) {
			return ident(s)
		}
	}
	return s
}

// snapshotCounts reads one dump to the end and counts its rows per table;
// bare are the tables it creates without rows (exclude_table_data).
// roles are the roles it names as owners and grantees.
func snapshotCounts(ctx context.Context, tree provider.Tree, e provider.Entry) (rows map[tableKey]int64, bare map[tableKey]bool, roles map[string]bool, err error) {
	rc, err := tree.Open(ctx, e)
	if err != nil {
		return nil, nil, nil, err
	}
	defer rc.Close()
	c := newCounter(rc)
	buf := make([]byte, 256<<10)
	for {
		_, err := c.Read(buf)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, nil, nil, fmt.Errorf("read %s: %w", e.Path, err)
		}
	}
	if rows, err = c.byKey(); err != nil {
		return nil, nil, nil, err
	}
	bare, err = c.bare()
	return rows, bare, c.roles, err
}

// bare is the tables the dump creates without a COPY block of rows.
func (c *counter) bare() (map[tableKey]bool, error) {
	out := map[tableKey]bool{}
	for name := range c.created {
		if _, ok := c.rows[name]; ok {
			continue
		}
		k, err := parseTable(name)
		if err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, nil
}

// byKey is the rows per table by unquoted name.
func (c *counter) byKey() (map[tableKey]int64, error) {
	out := map[tableKey]int64{}
	for name, n := range c.rows {
		k, err := parseTable(name)
		if err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, nil
}
