package postgres

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/velinhq/velin/providers/provider"
)

// exactBelow is the estimated row count under which Inspect counts a
// table's rows exactly; bigger tables report pg_class.reltuples.
const exactBelow = 100000

// server is what Inspect and Backup learn before dumping.
type server struct {
	version   version
	client    client
	databases []string
}

// probe connects, reads the server version, resolves the databases and
// chooses the client: every failure here is one `velin plan` reports.
func (s *Source) probe(ctx context.Context) (server, error) {
	pg, err := s.conn.connect(ctx)
	if err != nil {
		return server{}, err
	}
	defer pg.Close(context.Background())
	var num int
	if err := pg.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		return server{}, fmt.Errorf("read server version: %w", err)
	}
	sv := server{version: serverVersion(num)}
	if sv.databases, err = s.databases(ctx, pg); err != nil {
		return server{}, err
	}
	if sv.client, err = s.chooseClient(ctx, sv.version); err != nil {
		return server{}, err
	}
	for _, db := range sv.databases {
		if err := s.checkPrivileges(ctx, db); err != nil {
			return server{}, err
		}
	}
	return sv, nil
}

// databases resolves the databases argument against the server.
func (s *Source) databases(ctx context.Context, pg *pgx.Conn) ([]string, error) {
	want := s.opts.Databases
	if len(want) == 0 {
		return []string{s.conn.database}, nil
	}
	rows, err := pg.Query(ctx, `SELECT datname FROM pg_database WHERE NOT datistemplate AND datallowconn ORDER BY datname`)
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	if len(want) == 1 && want[0] == "*" {
		var out []string
		for _, d := range have {
			if !strings.HasPrefix(d, verifyPrefix) {
				out = append(out, d)
			}
		}
		return out, nil
	}
	for _, d := range want {
		if !contains(have, d) {
			return nil, fmt.Errorf("database %q does not exist on %s (databases there: %s); fix databases or create it",
				d, s.conn.hostPort(), strings.Join(have, ", "))
		}
	}
	return want, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// tableStat is one table whose rows a dump holds.
type tableStat struct {
	name string // schema.table, quoted as pg_dump's COPY line names it
	rows int64
	est  bool // rows is pg_class.reltuples
}

// dbStat is what Inspect reports of one database.
type dbStat struct {
	name   string
	size   int64
	tables []tableStat
}

func (d dbStat) rows() (n int64, est bool) {
	for _, t := range d.tables {
		n += t.rows
		est = est || t.est
	}
	return n, est
}

// Inspect implements provider.Source: server and client versions, and per
// database its size, the tables whose rows a backup dumps and their rows
// (exact for small tables, pg_class.reltuples for big ones).
func (s *Source) Inspect(ctx context.Context) (provider.Facts, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	sv, err := s.probe(ctx)
	if err != nil {
		return provider.Facts{}, fmt.Errorf("inspect postgres %s: %w", s.conn.where(), err)
	}
	f := s.facts(sv)
	var list []string
	for _, db := range sv.databases {
		st, err := s.dbStats(ctx, db)
		if err != nil {
			return provider.Facts{}, fmt.Errorf("inspect postgres %s: %w", s.conn.with(db).where(), err)
		}
		rows, est := st.rows()
		f.Tables += int64(len(st.tables))
		f.Rows += rows
		f.Bytes += st.size
		approx := ""
		if est {
			approx = "~"
		}
		list = append(list, fmt.Sprintf("%s (%d bytes, %d tables, %s%d rows)", db, st.size, len(st.tables), approx, rows))
	}
	f.Files = int64(len(sv.databases))
	if s.opts.Globals {
		f.Files++
	}
	f.Details["databases"] = strings.Join(list, ", ")
	return f, nil
}

func (s *Source) facts(sv server) provider.Facts {
	return provider.Facts{
		Type:          TypeName,
		Identity:      s.identity(),
		ServerVersion: "postgresql " + sv.version.String(),
		Details: map[string]string{
			"client":         sv.client.dump,
			"client_version": "pg_dump " + sv.client.version.String(),
			"server_version": sv.version.String(),
		},
	}
}

// dbStats lists the tables of db whose rows the dump holds.
func (s *Source) dbStats(ctx context.Context, db string) (dbStat, error) {
	pg, err := s.conn.with(db).connect(ctx)
	if err != nil {
		return dbStat{}, err
	}
	defer pg.Close(context.Background())
	st := dbStat{name: db}
	if err := pg.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&st.size); err != nil {
		return dbStat{}, fmt.Errorf("database size: %w", err)
	}
	rows, err := pg.Query(ctx, `
		SELECT n.nspname, c.relname, c.reltuples::bigint
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
		                  AND d.objid = c.oid AND d.deptype = 'e')
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass
		                  AND d.objid = n.oid AND d.deptype = 'e')
		ORDER BY 1, 2`)
	if err != nil {
		return dbStat{}, fmt.Errorf("list tables: %w", err)
	}
	type rel struct {
		Schema, Name string
		Est          int64
	}
	rels, err := pgx.CollectRows(rows, pgx.RowToStructByPos[rel])
	if err != nil {
		return dbStat{}, fmt.Errorf("list tables: %w", err)
	}
	for _, r := range rels {
		if !s.dumpsData(r.Schema, r.Name) {
			continue
		}
		t := tableStat{name: ident(r.Schema, r.Name), rows: r.Est, est: true}
		if r.Est < exactBelow {
			q := "SELECT count(*) FROM " + ident(r.Schema, r.Name)
			if err := pg.QueryRow(ctx, q).Scan(&t.rows); err != nil {
				return dbStat{}, fmt.Errorf("count %s.%s: %w", r.Schema, r.Name, err)
			}
			t.est = false
		}
		st.tables = append(st.tables, t)
	}
	sort.Slice(st.tables, func(i, j int) bool { return st.tables[i].name < st.tables[j].name })
	return st, nil
}

// dumpsData says whether a dump with this source's filters holds the
// rows of schema.table.
func (s *Source) dumpsData(schema, table string) bool {
	if len(s.opts.Schemas) > 0 && !anyMatch(s.opts.Schemas, "", schema) {
		return false
	}
	return !anyMatch(s.opts.ExcludeTables, schema, table) && !anyMatch(s.opts.ExcludeTableData, schema, table)
}

// anyMatch matches pg_dump patterns: a schema pattern (schema == "") or
// "schema.table" / "table" with * and ?, unquoted parts folded to lower case.
func anyMatch(patterns []string, schema, name string) bool {
	for _, p := range patterns {
		sp, np := "", p
		if schema != "" {
			if i := unquotedDot(p); i >= 0 {
				sp, np = p[:i], p[i+1:]
			}
		}
		if patternRe(np).MatchString(name) && (sp == "" || patternRe(sp).MatchString(schema)) {
			return true
		}
	}
	return false
}

func unquotedDot(p string) int {
	quoted := false
	for i, c := range p {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '.' && !quoted:
			return i
		}
	}
	return -1
}

func patternRe(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	quoted := false
	for _, c := range p {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '*' && !quoted:
			b.WriteString(".*")
		case c == '?' && !quoted:
			b.WriteString(".")
		case quoted:
			b.WriteString(regexp.QuoteMeta(string(c)))
		default:
			b.WriteString(regexp.QuoteMeta(strings.ToLower(string(c))))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}
