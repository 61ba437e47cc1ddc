package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// server is what velin knows of the server it talks to.
type server struct {
	MariaDB bool
	Version string // "10.11.19"
	Full    string // VERSION(): "10.11.19-MariaDB-0+deb12u1"
}

func (sv server) String() string {
	if sv.MariaDB {
		return "MariaDB " + sv.Version
	}
	return "MySQL " + sv.Version
}

// open connects to database db ("" for none) and pings, so that a wrong
// password or an unreachable host is an error here, explained.
func (s *Source) open(ctx context.Context, db string) (*sql.DB, error) {
	cfg, err := s.c.driver(db)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", s.c.where(), err)
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, s.explain(err, db)
	}
	h := sql.OpenDB(conn)
	if err := h.PingContext(ctx); err != nil {
		h.Close()
		return nil, s.explain(err, db)
	}
	return h, nil
}

// serverInfo reads the flavour and version.
func serverInfo(ctx context.Context, h *sql.DB) (server, error) {
	var full string
	if err := h.QueryRowContext(ctx, "SELECT VERSION()").Scan(&full); err != nil {
		return server{}, err
	}
	sv := server{Full: full, MariaDB: strings.Contains(strings.ToLower(full), "mariadb")}
	sv.Version, _, _ = strings.Cut(full, "-")
	return sv, nil
}

// explain turns a connection error into one that says what is wrong and
// how to fix it. It never quotes the DSN.
func (s *Source) explain(err error, db string) error {
	var me *mysql.MySQLError
	var ne net.Error
	if tlsErr := s.c.explainTLS(err); tlsErr != nil {
		return tlsErr
	}
	switch {
	case errors.As(err, &me) && me.Number == 1045:
		return fmt.Errorf("%s refused the login (wrong user or password): check the password in the dsn%s: %w", s.c.where(), s.c.tlsLoginHint(), ErrAuth)
	case errors.As(err, &me) && me.Number == 1049:
		return fmt.Errorf("database %q does not exist on %s: create it, or fix the dsn or databases: %w", db, s.c.where(), ErrNoDatabase)
	case errors.As(err, &me) && (me.Number == 1044 || me.Number == 1142 || me.Number == 1227):
		return fmt.Errorf("user %s may not read database %q (%s): %s: %w", s.c.User, db, me.Message, grantHint(s.c.User, db), ErrPrivileges)
	case errors.As(err, &ne), errors.Is(err, mysql.ErrInvalidConn):
		return fmt.Errorf("cannot reach %s (%v): is the server running, and are host and port in the dsn right?: %w", s.c.Addr, ne, ErrUnreachable)
	}
	return fmt.Errorf("connect to %s: %w", s.c.where(), err)
}

func grantHint(user, db string) string {
	return fmt.Sprintf("grant what a dump needs: GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON `%s`.* TO '%s'", db, user)
}

// Sentinel errors of Inspect and Backup.
var (
	ErrAuth        = errors.New("authentication failed")
	ErrUnreachable = errors.New("server unreachable")
	ErrNoDatabase  = errors.New("unknown database")
	ErrPrivileges  = errors.New("missing privileges")
	ErrNoTool      = errors.New("dump tool not found")
	ErrDump        = errors.New("dump failed")
	ErrLoad        = errors.New("restore failed")
)

// systemDBs are never backed up by databases = ["*"].
func systemDBs() []string {
	return []string{"information_schema", "mysql", "performance_schema", "sys"}
}

// scratchSchema says whether a schema is one velin's restores create.
func scratchSchema(n string) bool {
	for _, p := range []string{"velin_verify_", "velin_restore_", "velin_old_"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// databases lists what the source backs up, checking that each exists.
func (s *Source) databases(ctx context.Context, h *sql.DB) ([]string, error) {
	rows, err := h.QueryContext(ctx, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var have []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		have = append(have, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if s.all {
		var out []string
		for _, n := range have {
			if !contains(systemDBs(), n) && !scratchSchema(n) {
				out = append(out, n)
			}
		}
		return out, nil
	}
	for _, db := range s.dbs {
		if !contains(have, db) {
			return nil, fmt.Errorf("database %q does not exist on %s (or user %s cannot see it): create it, grant access, or fix databases: %w",
				db, s.c.where(), s.c.User, ErrNoDatabase)
		}
	}
	return s.dbs, nil
}

// missingPrivileges lists the privileges a dump of db needs that the
// current user lacks (global or schema grants).
func missingPrivileges(ctx context.Context, h *sql.DB, db string) ([]string, error) {
	me := `CONCAT("'", SUBSTRING_INDEX(CURRENT_USER(), '@', 1), "'@'", SUBSTRING_INDEX(CURRENT_USER(), '@', -1), "'")`
	q := `SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ` + me + `
	      UNION SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES
	      WHERE GRANTEE = ` + me + ` AND ? LIKE TABLE_SCHEMA`
	rows, err := h.QueryContext(ctx, q, db)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		have[p] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var missing []string
	for _, p := range []string{"SELECT", "SHOW VIEW", "TRIGGER", "EVENT"} {
		if !have[p] {
			missing = append(missing, p)
		}
	}
	return missing, nil
}

// quote quotes an identifier with backticks.
func quote(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
