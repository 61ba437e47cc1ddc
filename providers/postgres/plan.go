package postgres

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/velinhq/velin/providers/provider"
)

// PlanRestore implements provider.Source: per database one change
// ("create" when the destination database is missing or has no tables,
// else "replace"), then per table its rows in the snapshot and now:
// "create", "replace", or "unchanged" for tables the dump does not hold
// (a restore keeps them); a table the dump holds without its rows
// (exclude_table_data) is "replace" and loses every row it has now. With
// Tables, only those tables, "replace". The snapshot's rows are counted by
// reading each dump, which also finds damaged data before anything is
// touched, and the roles the dumps name as owners and grantees are
// checked against the destination server: missing ones are an error
// (ErrMissingRoles) unless Globals creates them. With Globals, the plan
// starts with the roles and tablespaces to create and those left alone.
func (s *Source) PlanRestore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) ([]provider.Change, error) {
	list, gEntry, err := dumps(ctx, tree, opts.Database)
	if err != nil {
		return nil, fmt.Errorf("plan postgres restore: %w", err)
	}
	server, err := s.destination(opts.To, list[0].db, len(list))
	if err != nil {
		return nil, fmt.Errorf("plan postgres restore: %w", err)
	}
	out := []provider.Change{}
	var created []string
	if opts.Globals {
		st, g, err := s.globalsState(ctx, tree, gEntry, server)
		if err != nil {
			return nil, fmt.Errorf("plan postgres restore: %w", err)
		}
		out, created = append(out, st.changes(g)...), st.create
	}
	named := map[string]bool{}
	for _, d := range list {
		dest, err := s.destination(opts.To, d.db, len(list))
		if err != nil {
			return nil, fmt.Errorf("plan postgres restore: %w", err)
		}
		changes, roles, err := s.planOne(ctx, tree, d, dest, opts.Tables)
		if err != nil {
			return nil, fmt.Errorf("plan postgres restore of %s: %w", d.db, err)
		}
		out = append(out, changes...)
		for r := range roles {
			named[r] = true
		}
	}
	if len(opts.Tables) == 0 { // rows only: no owner or grant is replayed
		if err := missingRoles(ctx, server, named, created, gEntry != nil); err != nil {
			return nil, fmt.Errorf("plan postgres restore: %w", err)
		}
	}
	if gEntry != nil && !opts.Globals {
		out = append(out, provider.Change{Action: "unchanged", What: "globals (roles, tablespaces)", Part: true,
			Snapshot: fmt.Sprintf("%d bytes", gEntry.Size),
			Detail:   "not replayed: restore with --globals to create the roles and tablespaces the server lacks"})
	}
	return out, nil
}

// globalsState reads the snapshot's globals and compares them with the
// destination server.
func (s *Source) globalsState(ctx context.Context, tree provider.Tree, e *provider.Entry, server conn) (*globalsState, *globals, error) {
	g, err := snapshotGlobals(ctx, tree, e)
	if err != nil {
		return nil, nil, err
	}
	pg, err := server.with("postgres").connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer pg.Close(context.Background())
	st, err := inspectGlobals(ctx, pg, g)
	return st, g, err
}

// snapshotGlobals reads the snapshot's globals.sql.
func snapshotGlobals(ctx context.Context, tree provider.Tree, e *provider.Entry) (*globals, error) {
	if e == nil {
		return nil, fmt.Errorf("--globals: the snapshot holds no %s (the source had globals = false when it was taken)", globalsEntry)
	}
	return loadGlobals(ctx, func(ctx context.Context) (io.ReadCloser, error) { return tree.Open(ctx, *e) })
}

func (s *Source) planOne(ctx context.Context, tree provider.Tree, d dump, dest conn, tables []string) ([]provider.Change, map[string]bool, error) {
	snap, bare, roles, err := snapshotCounts(ctx, tree, d.entry)
	if err != nil {
		return nil, nil, err
	}
	cur, exists, err := currentCounts(ctx, dest)
	if err != nil {
		return nil, nil, err
	}
	db := provider.Change{Action: "replace", What: dest.hostPort() + "/" + dest.database,
		Snapshot: countText(snap), Detail: "objects of the dump dropped and recreated in one transaction"}
	if exists {
		db.Current = countText(cur)
	}
	if len(cur) == 0 {
		db.Action, db.Detail = "create", ""
	}
	if len(tables) > 0 {
		changes, err := s.planTables(db, snap, cur, tables)
		return changes, roles, err
	}
	out := []provider.Change{db}
	for _, k := range sortedTables(snap, cur) {
		c := provider.Change{What: "table " + k.String(), Part: true}
		sn, inSnap := snap[k]
		cn, inCur := cur[k]
		if inSnap {
			c.Snapshot = rowsText(sn)
		}
		if inCur {
			c.Current = rowsText(cn)
		}
		switch {
		case !inSnap && bare[k]:
			c.Action, c.Snapshot = "replace", "no rows (structure only)"
			c.Detail = "its rows are left out of the snapshot (exclude_table_data): emptied"
		case !inSnap:
			c.Action, c.Detail = "unchanged", "not in the snapshot: kept as it is"
		case !inCur:
			c.Action = "create"
		default:
			c.Action = "replace"
		}
		out = append(out, c)
	}
	return out, roles, nil
}

func (s *Source) planTables(db provider.Change, snap, cur map[tableKey]int64, tables []string) ([]provider.Change, error) {
	keep, err := tableSet(tables)
	if err != nil {
		return nil, err
	}
	db.Action, db.Detail = "replace", "only the rows of the tables below, in one transaction"
	out := []provider.Change{db}
	for _, k := range sortedTables(keep2counts(keep), nil) {
		sn, ok := snap[k]
		if !ok {
			return nil, fmt.Errorf("--table %s: not in the snapshot's dump", k)
		}
		c := provider.Change{Action: "replace", What: "table " + k.String(), Part: true, Snapshot: rowsText(sn)}
		if cn, ok := cur[k]; ok {
			c.Current = rowsText(cn)
		} else {
			return nil, fmt.Errorf("--table %s: no such table at %s; restore the whole database first", k, db.What)
		}
		out = append(out, c)
	}
	return out, nil
}

func keep2counts(keep map[tableKey]bool) map[tableKey]int64 {
	out := map[tableKey]int64{}
	for k := range keep {
		out[k] = 0
	}
	return out
}

func sortedTables(a, b map[tableKey]int64) []tableKey {
	seen := map[tableKey]bool{}
	var out []tableKey
	for _, m := range []map[tableKey]int64{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func countText(m map[tableKey]int64) string {
	var rows int64
	for _, n := range m {
		rows += n
	}
	return fmt.Sprintf("%d tables, %s", len(m), rowsText(rows))
}

func rowsText(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

// currentCounts counts the rows of every table of the destination
// database; exists is false when the database is missing.
func currentCounts(ctx context.Context, dest conn) (map[tableKey]int64, bool, error) {
	pg, err := dest.with("postgres").connect(ctx)
	if err != nil {
		return nil, false, err
	}
	var n int
	err = pg.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", dest.database).Scan(&n)
	pg.Close(context.Background())
	if err != nil {
		return nil, false, fmt.Errorf("look up database: %w", err)
	}
	if n == 0 {
		return map[tableKey]int64{}, false, nil
	}
	all := &Source{conn: dest}
	st, err := all.dbStats(ctx, dest.database)
	if err != nil {
		return nil, true, err
	}
	out := map[tableKey]int64{}
	for _, t := range st.tables {
		k, err := parseTable(t.name)
		if err != nil {
			return nil, true, err
		}
		out[k] = t.rows
	}
	return out, true, nil
}
