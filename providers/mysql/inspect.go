package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/providers/provider"
)

// exactRows is the largest table (by the server's estimate) whose rows
// Inspect counts exactly; larger ones are estimated, and said to be.
const exactRows = 1_000_000

// tableInfo is one base table of a database.
type tableInfo struct {
	Name   string
	Engine string
	Rows   int64 // exact, unless Est
	Est    bool
	Bytes  int64
}

// Inspect implements provider.Source: reachable, flavour and version, the
// client chosen, databases with size, tables and rows, and tables whose
// engine a --single-transaction dump cannot copy consistently.
func (s *Source) Inspect(ctx context.Context) (provider.Facts, error) {
	h, sv, dbs, err := s.connect(ctx)
	if err != nil {
		return provider.Facts{}, fmt.Errorf("inspect mysql %s: %w", s.c.where(), err)
	}
	defer h.Close()
	dump, err := s.dumpTool(ctx, sv)
	if err != nil {
		return provider.Facts{}, fmt.Errorf("inspect mysql %s: %w", s.c.where(), err)
	}
	f := s.facts(sv, dump)
	var loose, estimated []string
	for _, db := range dbs {
		if miss, err := missingPrivileges(ctx, h, db); err != nil {
			return provider.Facts{}, fmt.Errorf("inspect mysql %s: privileges: %w", s.c.where(), err)
		} else if len(miss) > 0 {
			return provider.Facts{}, fmt.Errorf("inspect mysql %s: user %s lacks %s on database %q: %s: %w",
				s.c.where(), s.c.User, strings.Join(miss, ", "), db, grantHint(s.c.User, db), ErrPrivileges)
		}
		tables, err := s.tables(ctx, h, db)
		if err != nil {
			return provider.Facts{}, fmt.Errorf("inspect mysql %s: database %s: %w", s.c.where(), db, err)
		}
		var rows, bytes int64
		for _, t := range tables {
			rows += t.Rows
			bytes += t.Bytes
			if t.Engine != "" && !strings.EqualFold(t.Engine, "InnoDB") {
				loose = append(loose, fmt.Sprintf("%s.%s (%s)", db, t.Name, t.Engine))
			}
			if t.Est {
				estimated = append(estimated, db+"."+t.Name)
			}
		}
		f.Files++
		f.Tables += int64(len(tables))
		f.Rows += rows
		f.Bytes += bytes
		f.Details["database "+db] = fmt.Sprintf("%d tables, %d rows, %s", len(tables), rows, bytesize.Format(bytes))
	}
	if len(loose) > 0 {
		f.Details["not consistent"] = strings.Join(loose, ", ") +
			": not InnoDB, so --single-transaction does not copy them at one point in time"
	}
	if len(estimated) > 0 {
		f.Details["estimated rows"] = strings.Join(estimated, ", ")
	}
	return f, nil
}

// connect opens a connection, reads the server and lists the databases.
func (s *Source) connect(ctx context.Context) (*sql.DB, server, []string, error) {
	db := ""
	if !s.all && len(s.dbs) == 1 {
		db = s.dbs[0]
	}
	h, err := s.open(ctx, db)
	if err != nil {
		return nil, server{}, nil, err
	}
	sv, err := serverInfo(ctx, h)
	if err == nil {
		var dbs []string
		if dbs, err = s.databases(ctx, h); err == nil {
			return h, sv, dbs, nil
		}
	}
	h.Close()
	return nil, server{}, nil, err
}

func (s *Source) facts(sv server, dump tool) provider.Facts {
	return provider.Facts{Type: TypeName, Identity: s.identity(), ServerVersion: sv.String(),
		Details: map[string]string{"client": dump.String(), "server": sv.Full}}
}

func (s *Source) identity() string {
	if s.all {
		return s.c.identity([]string{"*"})
	}
	return s.c.identity(s.dbs)
}

// tables lists the base tables of db the source backs up, with their
// rows (0 for tables whose data is excluded).
func (s *Source) tables(ctx context.Context, h *sql.DB, db string) ([]tableInfo, error) {
	rows, err := h.QueryContext(ctx, `SELECT TABLE_NAME, COALESCE(ENGINE, ''), COALESCE(TABLE_ROWS, 0),
		COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0) FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`, db)
	if err != nil {
		return nil, err
	}
	var out []tableInfo
	for rows.Next() {
		var t tableInfo
		if err := rows.Scan(&t.Name, &t.Engine, &t.Rows, &t.Bytes); err != nil {
			rows.Close()
			return nil, err
		}
		if !s.excl[db+"."+t.Name] {
			out = append(out, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		t := &out[i]
		switch {
		case s.exclData[db+"."+t.Name]:
			t.Rows = 0
		case t.Rows > exactRows:
			t.Est = true
		default:
			if err := h.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quote(db)+"."+quote(t.Name)).Scan(&t.Rows); err != nil {
				return nil, fmt.Errorf("count %s: %w", t.Name, err)
			}
		}
	}
	return out, nil
}

// countTables counts the rows of every base table of db exactly.
func countTables(ctx context.Context, h *sql.DB, db string) (map[string]int64, error) {
	rows, err := h.QueryContext(ctx, `SELECT TABLE_NAME FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'`, db)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := map[string]int64{}
	for _, n := range names {
		var c int64
		if err := h.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quote(db)+"."+quote(n)).Scan(&c); err != nil {
			return nil, fmt.Errorf("count %s.%s: %w", db, n, err)
		}
		out[n] = c
	}
	return out, nil
}
