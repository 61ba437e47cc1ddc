package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sqlassert"
)

// verifyPrefix names the scratch databases of test restores.
const verifyPrefix = "velin_verify_"

// TestRestore implements provider.Source: each database of the snapshot
// is restored into a new database velin_verify_<ID> (…_<ID>_<n> for the
// second and later) on the source's server, its rows counted per table
// against the counts read from the dump, and the assertions run on the
// first configured database (or the DSN's). The scratch databases are
// dropped in every case, also when ctx is cancelled (on a fresh context).
func (s *Source) TestRestore(ctx context.Context, tree provider.Tree, opts provider.TestRestoreOptions) (provider.TestReport, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	rep, err := s.testRestore(ctx, tree, opts)
	if err != nil {
		return provider.TestReport{}, fmt.Errorf("test restore postgres: %w", err)
	}
	return rep, nil
}

func (s *Source) testRestore(ctx context.Context, tree provider.Tree, opts provider.TestRestoreOptions) (provider.TestReport, error) {
	if !validID(opts.ID) {
		return provider.TestReport{}, fmt.Errorf("test restore id %q must be [a-z0-9]", opts.ID)
	}
	list, globals, err := dumps(ctx, tree, "")
	if err != nil {
		return provider.TestReport{}, err
	}
	cl, err := s.clientFor(ctx, "")
	if err != nil {
		return provider.TestReport{}, err
	}
	var rep provider.TestReport
	if globals != nil {
		rep.Counts.Files++
		rep.Counts.Bytes += globals.Size
	}
	for i, d := range list {
		name := verifyPrefix + opts.ID
		if i > 0 {
			name += "_" + strconv.Itoa(i)
		}
		var asserts []provider.Assert
		if i == s.assertTarget(list) {
			asserts = opts.Asserts
		}
		checks, rows, err := s.verifyOne(ctx, cl, tree, d, s.conn.with(name), asserts)
		if err != nil {
			return provider.TestReport{}, fmt.Errorf("%s: %w", d.db, err)
		}
		rep.Checks = append(rep.Checks, checks...)
		rep.Counts.Files++
		rep.Counts.Bytes += d.entry.Size
		rep.Counts.Rows += rows
	}
	rep.Counts.Check = fmt.Sprintf("%d databases restored, rows counted per table", len(list))
	return rep, nil
}

// assertTarget is the index of the database the assertions run on: the
// first one configured in databases, else the first by name.
func (s *Source) assertTarget(list []dump) int {
	want := s.conn.database
	if len(s.opts.Databases) > 0 && s.opts.Databases[0] != "*" {
		want = s.opts.Databases[0]
	}
	for i, d := range list {
		if d.db == want {
			return i
		}
	}
	return 0
}

func validID(id string) bool {
	if id == "" || len(id) > 40 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// verifyOne restores one dump into the scratch database dest, compares
// its rows per table with the dump's, runs asserts, and drops dest.
func (s *Source) verifyOne(ctx context.Context, cl client, tree provider.Tree, d dump, dest conn, asserts []provider.Assert) ([]provider.CheckResult, int64, error) {
	admin, err := s.conn.with("postgres").connect(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer admin.Close(context.Background())
	// The admin session owns the scratch database through an advisory lock
	// held until it closes, so that another run's CleanLeftovers never
	// drops it, not even before the restore has connected to it.
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock($1, hashtext($2))", leftoverLockKey, dest.database); err != nil {
		return nil, 0, fmt.Errorf("lock %s: %w", dest.database, err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident(dest.database)); err != nil {
		return nil, 0, fmt.Errorf("create %s: %w", dest.database, err)
	}
	defer dropDatabase(ctx, admin, dest.database)
	start := time.Now()
	c, err := s.replay(ctx, cl, tree, d.entry, dest, nil)
	if err != nil {
		return nil, 0, err
	}
	snap, err := c.byKey()
	if err != nil {
		return nil, 0, err
	}
	db, err := sql.Open("pgx", dest.url())
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	checks, rows, err := countChecks(ctx, db, snap, time.Since(start))
	if err != nil {
		return nil, 0, err
	}
	return append(checks, sqlassert.Run(ctx, db, asserts)...), rows, nil
}

// countChecks counts each table the dump filled and compares.
func countChecks(ctx context.Context, db *sql.DB, snap map[tableKey]int64, took time.Duration) ([]provider.CheckResult, int64, error) {
	var out []provider.CheckResult
	var total int64
	for _, k := range sortedTables(snap, nil) {
		start := time.Now()
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+k.String()).Scan(&n); err != nil {
			return nil, 0, fmt.Errorf("count %s: %w", k, err)
		}
		total += n
		out = append(out, provider.CheckResult{Name: "rows " + k.String(), Kind: "count", Passed: n == snap[k],
			Detail:     fmt.Sprintf("%s (snapshot: %d)", rowsText(n), snap[k]),
			DurationMS: time.Since(start).Milliseconds()})
	}
	out = append([]provider.CheckResult{{Name: "restore", Kind: "integrity", Passed: true,
		Detail: fmt.Sprintf("psql replayed the dump, %d tables", len(snap)), DurationMS: took.Milliseconds()}}, out...)
	return out, total, nil
}

// dropDatabase drops a scratch database on a fresh context, so that a
// cancelled test restore still cleans up.
func dropDatabase(ctx context.Context, admin *pgx.Conn, name string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)")
}

// CleanLeftovers implements provider.LeftoverCleaner: it drops the
// velin_verify_* databases no session uses and no running test restore
// owns (its advisory lock is free): a killed test restore's.
func (s *Source) CleanLeftovers(ctx context.Context) ([]string, error) {
	admin, err := s.conn.with("postgres").connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("clean postgres leftovers: %w", err)
	}
	defer admin.Close(context.Background())
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database d
		WHERE datname LIKE 'velin\_verify\_%'
		  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)
		ORDER BY datname`)
	if err != nil {
		return nil, fmt.Errorf("clean postgres leftovers: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("clean postgres leftovers: %w", err)
	}
	var dropped []string
	for _, n := range names {
		var free bool
		if err := admin.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, hashtext($2))", leftoverLockKey, n).Scan(&free); err != nil {
			return dropped, fmt.Errorf("clean postgres leftovers: %w", err)
		}
		if !free {
			continue // a running test restore owns it
		}
		_, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(n))
		_, _ = admin.Exec(ctx, "SELECT pg_advisory_unlock($1, hashtext($2))", leftoverLockKey, n)
		if err != nil {
			return dropped, fmt.Errorf("clean postgres leftovers: drop %s: %w", n, err)
		}
		dropped = append(dropped, n)
	}
	return dropped, nil
}

// leftoverLockKey is the first key of the advisory locks by which a test
// restore owns its scratch database (the second is hashtext of its name).
const leftoverLockKey = 0x76656c69 // "veli"
