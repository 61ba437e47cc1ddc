package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sqlassert"
)

// verifyPrefix names the schemas test restores create.
const verifyPrefix = "velin_verify_"

// TestRestore implements provider.Source: each database of the tree is
// replayed into a new schema velin_verify_<ID> (velin_verify_<ID>_<n>
// after the first), its tables' rows are compared with what the dump
// holds, and the assertions run in the first one, which is the default
// database of their connection (so they name tables unqualified). The
// schemas are always dropped.
func (s *Source) TestRestore(ctx context.Context, tree provider.Tree, opts provider.TestRestoreOptions) (_ provider.TestReport, err error) {
	h, sv, err := s.server(ctx)
	if err != nil {
		return provider.TestReport{}, fmt.Errorf("test restore mysql %s: %w", s.c.where(), err)
	}
	defer h.Close()
	cli, err := s.clientTool(ctx, sv)
	if err != nil {
		return provider.TestReport{}, fmt.Errorf("test restore mysql %s: %w", s.c.where(), err)
	}
	entries, err := dumps(ctx, tree)
	if err != nil {
		return provider.TestReport{}, fmt.Errorf("test restore mysql: %w", err)
	}
	var rep provider.TestReport
	var made []string
	defer func() {
		if derr := dropAll(h, made); derr != nil && err == nil {
			err = fmt.Errorf("test restore mysql %s: %w", s.c.where(), derr)
		}
	}()
	for i, e := range entries {
		db := verifyPrefix + opts.ID
		if i > 0 {
			db = fmt.Sprintf("%s_%d", db, i)
		}
		release, err := own(ctx, h, db)
		if err != nil {
			return provider.TestReport{}, fmt.Errorf("test restore mysql %s: %w", s.c.where(), err)
		}
		defer release() // after the drop: the schema is owned until it is gone
		made = append(made, db)
		if err := s.testOne(ctx, h, cli, tree, e, db, &rep); err != nil {
			return provider.TestReport{}, fmt.Errorf("test restore mysql %s: database %s: %w", s.c.where(), e.Meta["database"], err)
		}
		if i == 0 && len(opts.Asserts) > 0 {
			conn, err := s.open(ctx, db)
			if err != nil {
				return provider.TestReport{}, fmt.Errorf("test restore mysql: %w", err)
			}
			rep.Checks = append(rep.Checks, sqlassert.Run(ctx, conn, opts.Asserts)...)
			conn.Close()
		}
	}
	return rep, nil
}

// dropAll drops the scratch schemas, also after ctx was cancelled.
func dropAll(h *sql.DB, schemas []string) error {
	var errs []error
	for _, db := range schemas {
		if err := dropQuietly(h, db); err != nil {
			errs = append(errs, fmt.Errorf("drop scratch schema %s: %w", db, err))
		}
	}
	return errors.Join(errs...)
}

// testOne replays one dump into db and adds a count check per table.
func (s *Source) testOne(ctx context.Context, h *sql.DB, cli tool, tree provider.Tree, e provider.Entry, db string, rep *provider.TestReport) error {
	start := time.Now()
	c, got, err := s.replay(ctx, h, cli, tree, e, db)
	if err != nil {
		return err
	}
	ms := time.Since(start).Milliseconds()
	rep.Counts.Files++
	rep.Counts.Bytes += c.bytes
	for _, t := range sorted(tableSet(c.rows)) {
		n, ok := got[t]
		rep.Counts.Rows += n
		ck := provider.CheckResult{Name: "rows " + e.Meta["database"] + "." + t, Kind: "count", DurationMS: ms,
			Passed: ok && n == c.rows[t], Detail: fmt.Sprintf("%s (snapshot: %s)", rowsText(n), rowsText(c.rows[t]))}
		if !ok {
			ck.Detail = "missing after the restore (snapshot: " + rowsText(c.rows[t]) + ")"
		}
		rep.Checks = append(rep.Checks, ck)
	}
	rep.Counts.Check = fmt.Sprintf("%d tables loaded", len(c.rows))
	return nil
}

// CleanLeftovers implements provider.LeftoverCleaner: it drops the
// velin_verify_* and velin_restore_* schemas on this server whose owner
// (the session holding their lock) is gone: what a killed test restore or
// restore left. velin_old_* schemas (the tables a restore replaced, kept
// when it failed after the swap) are left for the user.
func (s *Source) CleanLeftovers(ctx context.Context) ([]string, error) {
	h, err := s.open(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("clean mysql scratch schemas %s: %w", s.c.where(), err)
	}
	defer h.Close()
	rows, err := h.QueryContext(ctx, `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA
		WHERE SCHEMA_NAME LIKE 'velin\_verify\_%' OR SCHEMA_NAME LIKE 'velin\_restore\_%' ORDER BY SCHEMA_NAME`)
	if err != nil {
		return nil, fmt.Errorf("clean mysql scratch schemas: %w", err)
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
	var removed []string
	for _, n := range names {
		gone, err := orphaned(ctx, h, n)
		if err != nil {
			return removed, fmt.Errorf("clean mysql scratch schemas: %s: %w", n, err)
		}
		if !gone {
			continue // a running restore owns it
		}
		if _, err := h.ExecContext(ctx, "DROP DATABASE "+quote(n)); err != nil {
			return removed, fmt.Errorf("clean mysql scratch schemas: drop %s: %w", n, err)
		}
		removed = append(removed, s.c.where()+"/"+n)
	}
	return removed, nil
}
