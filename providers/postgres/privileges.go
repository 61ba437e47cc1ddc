package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrPrivileges means the user may not read what pg_dump must read.
var ErrPrivileges = errors.New("missing privileges")

// checkPrivileges makes sure the user may read what pg_dump reads in db:
// USAGE on every schema it dumps, SELECT on every table and sequence (a
// table whose data is excluded is still locked, which needs SELECT too).
// The error lists what is missing and the GRANTs that fix it.
func (s *Source) checkPrivileges(ctx context.Context, db string) error {
	pg, err := s.conn.with(db).connect(ctx)
	if err != nil {
		return err
	}
	defer pg.Close(context.Background())
	rows, err := pg.Query(ctx, `
		SELECT n.nspname, c.relname, has_schema_privilege(n.oid, 'USAGE'), has_table_privilege(c.oid, 'SELECT')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
		                  AND d.objid = c.oid AND d.deptype = 'e')
		ORDER BY 1, 2`)
	if err != nil {
		return fmt.Errorf("check privileges: %w", err)
	}
	type rel struct {
		Schema, Name  string
		Usage, Select bool
	}
	rels, err := pgx.CollectRows(rows, pgx.RowToStructByPos[rel])
	if err != nil {
		return fmt.Errorf("check privileges: %w", err)
	}
	var schemas, tables []string
	for _, r := range rels {
		if len(s.opts.Schemas) > 0 && !anyMatch(s.opts.Schemas, "", r.Schema) || anyMatch(s.opts.ExcludeTables, r.Schema, r.Name) {
			continue
		}
		switch {
		case !r.Usage && !contains(schemas, r.Schema):
			schemas = append(schemas, r.Schema)
		case r.Usage && !r.Select:
			tables = append(tables, ident(r.Schema, r.Name))
		}
	}
	if len(schemas)+len(tables) == 0 {
		return nil
	}
	return fmt.Errorf("user %s lacks what pg_dump needs in database %s: %s (fix: %s, or use a role that has them): %w",
		s.conn.user, db, missing(schemas, tables), grants(schemas, tables, s.conn.user), ErrPrivileges)
}

// missing names the schemas without USAGE and the tables without SELECT,
// the first few of each.
func missing(schemas, tables []string) string {
	var parts []string
	if len(schemas) > 0 {
		parts = append(parts, "USAGE on schema "+few(schemas))
	}
	if len(tables) > 0 {
		parts = append(parts, "SELECT on "+few(tables))
	}
	return "no " + strings.Join(parts, ", no ")
}

func few(list []string) string {
	if len(list) <= 5 {
		return strings.Join(list, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(list[:5], ", "), len(list)-5)
}

// grants is the statements that give user what is missing.
func grants(schemas, tables []string, user string) string {
	var out []string
	all := []string{}
	for _, sc := range schemas {
		out = append(out, "GRANT USAGE ON SCHEMA "+ident(sc)+" TO "+ident(user))
		all = append(all, ident(sc))
	}
	for _, t := range tables {
		sc, _, _ := strings.Cut(t, ".")
		if !contains(all, sc) {
			all = append(all, sc)
		}
	}
	in := strings.Join(all, ", ")
	out = append(out, "GRANT SELECT ON ALL TABLES IN SCHEMA "+in+" TO "+ident(user),
		"GRANT SELECT ON ALL SEQUENCES IN SCHEMA "+in+" TO "+ident(user))
	return strings.Join(out, "; ")
}
