package mysql

import (
	"context"
	"database/sql"
	"fmt"
)

// readObjects lists db's base tables and reads the definitions of its
// views, triggers (in firing order per table), routines and events.
func readObjects(ctx context.Context, cn *sql.Conn, db string) (objects, error) {
	var o objects
	var views []string
	err := each(ctx, cn, `SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`, []any{db}, func(v []string) {
		if v[1] == "VIEW" {
			views = append(views, v[0])
		} else {
			o.tables = append(o.tables, v[0])
		}
	})
	if err != nil {
		return o, err
	}
	for _, v := range views {
		o.defs = append(o.defs, def{Kind: "VIEW", Name: v})
	}
	queries := []struct {
		kind, q string
	}{
		{"TRIGGER", `SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?
			ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`},
		{"ROUTINE", `SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?
			ORDER BY ROUTINE_TYPE, ROUTINE_NAME`},
		{"EVENT", `SELECT EVENT_NAME, '' FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME`},
	}
	for _, q := range queries {
		err := each(ctx, cn, q.q, []any{db}, func(v []string) {
			d := def{Kind: q.kind, Name: v[0]}
			switch q.kind {
			case "TRIGGER":
				d.Table = v[1]
			case "ROUTINE":
				d.Kind = v[1] // PROCEDURE, FUNCTION
			}
			o.defs = append(o.defs, d)
		})
		if err != nil {
			return o, err
		}
	}
	for i := range o.defs {
		if err := define(ctx, cn, db, &o.defs[i]); err != nil {
			return o, fmt.Errorf("%s %s: %w", o.defs[i].Kind, o.defs[i].Name, err)
		}
	}
	return o, nil
}

// define reads the CREATE statement of d with SHOW CREATE.
func define(ctx context.Context, cn *sql.Conn, db string, d *def) error {
	// the columns of SHOW CREATE <kind>: statement, sql_mode, time_zone
	cols := map[string][3]int{"VIEW": {1, -1, -1}, "TRIGGER": {2, 1, -1},
		"PROCEDURE": {2, 1, -1}, "FUNCTION": {2, 1, -1}, "EVENT": {3, 1, 2}}
	c := cols[d.Kind]
	v, err := row(ctx, cn, "SHOW CREATE "+d.Kind+" "+quote(db)+"."+quote(d.Name))
	if err != nil {
		return err
	}
	if len(v) <= c[0] || v[c[0]] == "" {
		return errNoDef
	}
	d.SQL = v[c[0]]
	if c[1] >= 0 {
		d.Mode = v[c[1]]
	}
	if c[2] >= 0 {
		d.Zone = v[c[2]]
	}
	return nil
}

// each runs q and calls fn with each row's columns as text.
func each(ctx context.Context, cn *sql.Conn, q string, args []any, fn func([]string)) error {
	rows, err := cn.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scanText(rows)
		if err != nil {
			return err
		}
		fn(v)
	}
	return rows.Err()
}

// row runs q and returns its one row as text.
func row(ctx context.Context, cn *sql.Conn, q string) ([]string, error) {
	var out []string
	err := each(ctx, cn, q, nil, func(v []string) {
		if out == nil {
			out = v
		}
	})
	if err == nil && out == nil {
		err = errNoDef
	}
	return out, err
}

func scanText(rows *sql.Rows) ([]string, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	raw := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	out := make([]string, len(cols))
	for i, r := range raw {
		out[i] = r.String
	}
	return out, nil
}
