package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/velinhq/velin/providers/provider"
)

// defaultLockTimeout bounds how long a restore waits for a lock other
// sessions hold before it fails and names them.
const defaultLockTimeout = 20 * time.Second

// destination is the server and database a dump restores into: the
// source's own database, or --to (its database when it names one and a
// single database is restored, else the dump's database name there).
func (s *Source) destination(to, db string, n int) (conn, error) {
	if to == "" {
		return s.conn.with(db), nil
	}
	c, err := parseConn(to)
	if err != nil {
		return conn{}, fmt.Errorf("--to: %w", err)
	}
	named := c.database != "" && strings.Contains(to, "/"+c.database) || strings.Contains(to, "dbname=")
	switch {
	case named && n > 1:
		return conn{}, fmt.Errorf("--to names the database %s but the snapshot holds %d databases; choose one with --database, or give --to without a database", c.database, n)
	case named:
		return c, nil
	}
	return c.with(db), nil
}

// Restore implements provider.Source. Each database is replayed by psql
// in one transaction (BEGIN … COMMIT, ON_ERROR_STOP): the dump
// drops each object it holds (DROP … IF EXISTS) before creating it, so an
// error anywhere, a damaged snapshot or a kill rolls back everything and
// leaves the database as it was. Objects the dump does not hold are kept.
// With Tables, only those tables' rows are replaced (DELETE, COPY), also
// in one transaction. With Globals, the roles of globals.sql the server
// lacks are created first (applyGlobals).
func (s *Source) Restore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) error {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	list, gEntry, err := dumps(ctx, tree, opts.Database)
	if err != nil {
		return fmt.Errorf("restore postgres: %w", err)
	}
	cl, err := s.clientFor(ctx, opts.To)
	if err != nil {
		return fmt.Errorf("restore postgres: %w", err)
	}
	if opts.Globals {
		if err := s.restoreGlobals(ctx, tree, gEntry, opts.To, list[0].db, len(list)); err != nil {
			return fmt.Errorf("restore postgres globals: %w", err)
		}
	}
	for _, d := range list {
		dest, err := s.destination(opts.To, d.db, len(list))
		if err != nil {
			return fmt.Errorf("restore postgres: %w", err)
		}
		if err := s.restoreOne(ctx, cl, tree, d, dest, opts.Tables); err != nil {
			return fmt.Errorf("restore postgres %s to %s: %w", d.db, dest.where(), roleHint(err))
		}
	}
	return nil
}

// CanRestoreGlobals implements provider.GlobalsRestorer.
func (s *Source) CanRestoreGlobals() bool { return true }

// restoreGlobals creates what the server lacks of the snapshot's globals.
func (s *Source) restoreGlobals(ctx context.Context, tree provider.Tree, e *provider.Entry, to, db string, n int) error {
	g, err := snapshotGlobals(ctx, tree, e)
	if err != nil {
		return err
	}
	server, err := s.destination(to, db, n)
	if err != nil {
		return err
	}
	pg, err := server.with("postgres").connect(ctx)
	if err != nil {
		return err
	}
	defer pg.Close(context.Background())
	return applyGlobals(ctx, pg, g)
}

// clientFor chooses psql for the destination server.
func (s *Source) clientFor(ctx context.Context, to string) (client, error) {
	c := s.conn
	if to != "" {
		var err error
		if c, err = parseConn(to); err != nil {
			return client{}, fmt.Errorf("--to: %w", err)
		}
	}
	pg, err := c.connect(ctx)
	if err != nil && strings.Contains(err.Error(), "does not exist") { // --to a database to create
		pg, err = c.with("postgres").connect(ctx)
	}
	if err != nil {
		return client{}, err
	}
	defer pg.Close(context.Background())
	var num int
	if err := pg.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		return client{}, fmt.Errorf("read server version: %w", err)
	}
	return s.chooseClient(ctx, serverVersion(num))
}

func (s *Source) restoreOne(ctx context.Context, cl client, tree provider.Tree, d dump, dest conn, tables []string) error {
	if err := ensureDatabase(ctx, dest); err != nil {
		return err
	}
	if s.opts.TerminateConnections {
		if err := terminate(ctx, dest); err != nil {
			return err
		}
	}
	var keep map[tableKey]bool
	if len(tables) > 0 {
		var err error
		if keep, err = tableSet(tables); err != nil {
			return err
		}
	}
	_, err := s.replay(ctx, cl, tree, d.entry, dest, keep)
	if err != nil && strings.Contains(err.Error(), "lock timeout") {
		return blocked(ctx, dest, err)
	}
	return err
}

func tableSet(tables []string) (map[tableKey]bool, error) {
	keep := map[tableKey]bool{}
	for _, t := range tables {
		k, err := parseTable(t)
		if err != nil {
			return nil, fmt.Errorf("--table %w", err)
		}
		keep[k] = true
	}
	return keep, nil
}

// replay feeds one dump to psql in a single transaction. The content is
// written to psql's input only as read and checked; COMMIT follows only
// the whole dump, else psql is killed, and an input that ends early (velin
// killed -9) rolls back. It returns the dump's counts.
func (s *Source) replay(ctx context.Context, cl client, tree provider.Tree, e provider.Entry, dest conn, keep map[tableKey]bool) (*counter, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rc, err := tree.Open(ctx, e)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	lock := fmt.Sprintf("'%dms'", s.lockTimeout.Milliseconds())
	cmd := command(ctx, cl.tool("psql"), dest.env(), "--no-psqlrc", "--quiet", "--no-password",
		"--set=ON_ERROR_STOP=1", "--output=/dev/null")
	stderr := &tail{}
	cmd.Stderr, cmd.Stdout = stderr, io.Discard
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start psql: %w", err)
	}
	c := newCounter(rc)
	feedErr := inTransaction(in, func() error {
		if keep != nil {
			return feedTables(in, c, keep, lock)
		}
		return feedAll(in, c, lock)
	})
	if feedErr != nil && !errors.Is(feedErr, errPipe) {
		cancel() // kill psql before its input ends: no COMMIT
	}
	in.Close()
	waitErr := cmd.Wait()
	switch {
	case feedErr != nil && !errors.Is(feedErr, errPipe):
		return nil, fmt.Errorf("read %s: %w", e.Path, feedErr)
	case waitErr != nil:
		return nil, exitError("psql", waitErr, ctx, stderr, dest.password)
	case feedErr != nil:
		return nil, feedErr
	}
	return c, nil
}

// errPipe is psql going away while it is fed (its own error explains).
var errPipe = errors.New("psql closed its input")

// ensureDatabase creates the destination database when it is missing.
func ensureDatabase(ctx context.Context, dest conn) error {
	pg, err := dest.with("postgres").connect(ctx)
	if err != nil {
		return err
	}
	defer pg.Close(context.Background())
	var n int
	if err := pg.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", dest.database).Scan(&n); err != nil {
		return fmt.Errorf("look up database: %w", err)
	}
	if n > 0 {
		return nil
	}
	if _, err := pg.Exec(ctx, "CREATE DATABASE "+ident(dest.database)); err != nil {
		return fmt.Errorf("create database %s: %w", dest.database, err)
	}
	return nil
}

// terminate ends the other sessions of the destination database.
func terminate(ctx context.Context, dest conn) error {
	pg, err := dest.with("postgres").connect(ctx)
	if err != nil {
		return err
	}
	defer pg.Close(context.Background())
	_, err = pg.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = $1 AND pid <> pg_backend_pid()`, dest.database)
	if err != nil {
		return fmt.Errorf("terminate sessions: %w", err)
	}
	return nil
}

// blocked names the sessions that kept a restore from its locks.
func blocked(ctx context.Context, dest conn, cause error) error {
	ctx = context.WithoutCancel(ctx)
	pg, err := dest.with("postgres").connect(ctx)
	if err != nil {
		return cause
	}
	defer pg.Close(context.Background())
	rows, err := pg.Query(ctx, `SELECT format('pid %s (%s, %s, %s)', pid, usename, coalesce(nullif(application_name, ''), 'no application'), state)
		FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY pid`, dest.database)
	if err != nil {
		return cause
	}
	list, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(list) == 0 {
		return cause
	}
	return fmt.Errorf("%w: other sessions hold %s: %s; stop them or set terminate_connections = true (nothing was changed: %v)",
		ErrBlocked, dest.database, strings.Join(list, ", "), cause)
}
