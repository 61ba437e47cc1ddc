package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// swapPlan says which schemas a swap uses.
type swapPlan struct {
	live    string          // the database restored into (created if missing)
	scratch string          // holds the restored copy, checked
	old     string          // receives the live tables; dropped at the end
	only    map[string]bool // only these tables; nil: the whole database
	wait    time.Duration   // lock_wait_timeout of the swap: how long other sessions may block it
}

// def is a schema object other than a table, with what recreates it.
type def struct {
	Kind, Name, Table string // Table: a trigger's table
	SQL, Mode, Zone   string // the CREATE statement, its sql_mode and time_zone
}

// objects are a database's base tables and other objects.
type objects struct {
	tables []string
	defs   []def // views, triggers, routines, events
}

// swap replaces the live database's tables with the scratch schema's in
// one RENAME TABLE. MariaDB refuses to move a table with triggers or a
// view to another schema, so: triggers of the scratch tables are dropped
// (their definitions kept), then those of the live tables (kept too, and
// put back if the RENAME fails), then one RENAME TABLE moves every live
// table to the old schema and every scratch table into the live database.
// After it the live database's views, routines and events are replaced by
// the snapshot's and the triggers recreated; the old schema is dropped.
// A failure after the RENAME keeps the old schema and says so.
func swap(ctx context.Context, h *sql.DB, p swapPlan) error {
	cn, err := h.Conn(ctx)
	if err != nil {
		return err
	}
	defer cn.Close()
	if _, err := cn.ExecContext(ctx, "SET SESSION lock_wait_timeout = ?", max(1, int(p.wait.Seconds()))); err != nil {
		return err
	}
	next, err := readObjects(ctx, cn, p.scratch)
	if err != nil {
		return fmt.Errorf("read the restored copy: %w (the database was not changed)", err)
	}
	cur, err := readObjects(ctx, cn, p.live)
	if err != nil {
		return fmt.Errorf("read the live database: %w (the database was not changed)", err)
	}
	if err := p.check(next); err != nil {
		return err
	}
	if err := prepare(ctx, cn, p, next); err != nil {
		return fmt.Errorf("%w (the database was not changed)", err)
	}
	dropped, err := p.clearLive(ctx, cn, cur, next)
	if err == nil {
		err = p.rename(ctx, cn, cur, next)
	}
	if err != nil {
		if rerr := create(ctx, cn, p.live, dropped); rerr != nil {
			return fmt.Errorf("swap: %v; putting back the live views and triggers failed too: %w", err, rerr)
		}
		dropQuietly(h, p.old)
		return fmt.Errorf("swap: %w%s (the database was not changed)", err, blockers(ctx, h, p.live))
	}
	if err := p.finish(ctx, cn, cur, next); err != nil {
		return fmt.Errorf("the tables were restored, but recreating the other objects failed: %w; the replaced tables are kept in database %s", err, p.old)
	}
	if _, err := cn.ExecContext(ctx, "DROP DATABASE "+quote(p.old)); err != nil {
		return fmt.Errorf("restored; drop the replaced tables (database %s): %w", p.old, err)
	}
	return nil
}

// check refuses --table names the snapshot does not hold.
func (p swapPlan) check(next objects) error {
	for t := range p.only {
		if !contains(next.tables, t) {
			return fmt.Errorf("the snapshot holds no table %s (it holds %s) (the database was not changed)", t, strings.Join(next.tables, ", "))
		}
	}
	return nil
}

func (p swapPlan) moves(table string) bool { return p.only == nil || p.only[table] }

// prepare creates the old schema (and the live one if missing) and drops
// the scratch triggers, so that the scratch tables can move.
func prepare(ctx context.Context, cn *sql.Conn, p swapPlan, next objects) error {
	stmts := []string{"CREATE DATABASE " + quote(p.old),
		"CREATE DATABASE IF NOT EXISTS " + quote(p.live) + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"}
	for _, d := range next.defs {
		if d.Kind == "TRIGGER" {
			stmts = append(stmts, "DROP TRIGGER "+quote(p.scratch)+"."+quote(d.Name))
		}
	}
	for _, q := range stmts {
		if _, err := cn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("prepare swap: %w", err)
		}
	}
	return nil
}

// clearLive drops the live triggers of the tables that move and the live
// views named like a table of the snapshot, and returns what it dropped.
func (p swapPlan) clearLive(ctx context.Context, cn *sql.Conn, cur, next objects) ([]def, error) {
	var dropped []def
	for _, d := range cur.defs {
		drop := (d.Kind == "TRIGGER" && p.moves(d.Table) && contains(cur.tables, d.Table)) ||
			(d.Kind == "VIEW" && p.only == nil && contains(next.tables, d.Name))
		if !drop {
			continue
		}
		if _, err := cn.ExecContext(ctx, "DROP "+d.Kind+" "+quote(p.live)+"."+quote(d.Name)); err != nil {
			return dropped, err
		}
		dropped = append(dropped, d)
	}
	return dropped, nil
}

// rename is the one atomic RENAME TABLE of the swap.
func (p swapPlan) rename(ctx context.Context, cn *sql.Conn, cur, next objects) error {
	var pairs []string
	for _, t := range cur.tables {
		if p.moves(t) {
			pairs = append(pairs, quote(p.live)+"."+quote(t)+" TO "+quote(p.old)+"."+quote(t))
		}
	}
	for _, t := range next.tables {
		if p.moves(t) {
			pairs = append(pairs, quote(p.scratch)+"."+quote(t)+" TO "+quote(p.live)+"."+quote(t))
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	_, err := cn.ExecContext(ctx, "RENAME TABLE "+strings.Join(pairs, ", "))
	return err
}

// finish replaces the live database's other objects by the snapshot's:
// for a whole database, every view, routine and event (old ones dropped)
// and every trigger; for some tables, only their triggers.
func (p swapPlan) finish(ctx context.Context, cn *sql.Conn, cur, next objects) error {
	if p.only == nil {
		for _, d := range cur.defs {
			if d.Kind == "TRIGGER" {
				continue // moved away with their tables
			}
			if _, err := cn.ExecContext(ctx, "DROP "+d.Kind+" IF EXISTS "+quote(p.live)+"."+quote(d.Name)); err != nil {
				return err
			}
		}
	}
	var todo []def
	for _, d := range next.defs {
		if p.only == nil || (d.Kind == "TRIGGER" && p.only[d.Table]) {
			d.SQL = retarget(d, p.scratch, p.live)
			todo = append(todo, d)
		}
	}
	return create(ctx, cn, p.live, todo)
}

// retarget makes a view's definition, which names the scratch schema,
// name the live database instead.
func retarget(d def, from, to string) string {
	if d.Kind != "VIEW" {
		return d.SQL
	}
	return strings.ReplaceAll(d.SQL, quote(from)+".", quote(to)+".")
}

// create runs the CREATE statements in db, each under its own sql_mode
// and time zone. Views that depend on views not yet created are retried
// until no more can be made.
func create(ctx context.Context, cn *sql.Conn, db string, defs []def) error {
	if len(defs) == 0 {
		return nil
	}
	if _, err := cn.ExecContext(ctx, "USE "+quote(db)); err != nil {
		return err
	}
	defer cn.ExecContext(context.WithoutCancel(ctx), "SET SESSION sql_mode = DEFAULT, time_zone = DEFAULT")
	for len(defs) > 0 {
		var failed []def
		var last error
		for _, d := range defs {
			if err := createOne(ctx, cn, d); err != nil {
				failed, last = append(failed, d), fmt.Errorf("create %s %s: %w", strings.ToLower(d.Kind), d.Name, err)
			}
		}
		if len(failed) == len(defs) {
			return last
		}
		defs = failed
	}
	return nil
}

func createOne(ctx context.Context, cn *sql.Conn, d def) error {
	zone := d.Zone
	if zone == "" {
		zone = "SYSTEM"
	}
	if _, err := cn.ExecContext(ctx, "SET SESSION sql_mode = ?, time_zone = ?", d.Mode, zone); err != nil {
		return err
	}
	_, err := cn.ExecContext(ctx, d.SQL)
	return err
}

// blockers names the other sessions using db, which may hold the locks a
// RENAME TABLE waits for ("" when none is found).
func blockers(ctx context.Context, h *sql.DB, db string) string {
	rows, err := h.QueryContext(ctx, `SELECT ID, USER, HOST, COMMAND, TIME FROM information_schema.PROCESSLIST
		WHERE DB = ? AND ID <> CONNECTION_ID() ORDER BY ID`, db)
	if err != nil {
		return ""
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, secs int64
		var user, host, cmd string
		if rows.Scan(&id, &user, &host, &cmd, &secs) == nil {
			out = append(out, fmt.Sprintf("%d (%s@%s, %s for %ds)", id, user, host, cmd, secs))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "; sessions using " + db + " that may block it: " + strings.Join(out, ", ") + " (stop the application, or end them with KILL <id>)"
}

// errNoDef is returned when SHOW CREATE gives no statement.
var errNoDef = errors.New("no definition")
