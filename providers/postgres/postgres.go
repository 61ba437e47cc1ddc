package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sqlassert"
)

// TypeName is the source type name in configurations.
const TypeName = "postgres"

// Sentinel errors.
var (
	// ErrNoClient means no pg_dump fits the server (missing, or older).
	ErrNoClient = errors.New("no suitable pg_dump")
	// ErrDump means pg_dump or pg_dumpall failed.
	ErrDump = errors.New("dump failed")
	// ErrBlocked means other sessions hold the database a restore replaces.
	ErrBlocked = errors.New("database in use")
	// ErrMissingRoles means a dump names roles the destination lacks.
	ErrMissingRoles = errors.New("roles missing")
)

// Type is the registry entry of `source "postgres"`.
func Type() provider.SourceType {
	return provider.SourceType{Name: TypeName, Decode: Decode,
		Recover: func(id string) (provider.Source, error) { return Recover(id) }}
}

// Source backs up databases of one PostgreSQL server.
type Source struct {
	opts        Options
	conn        conn          // the DSN, parsed
	lockTimeout time.Duration // how long a restore waits for locks
}

var (
	_ provider.Source          = (*Source)(nil)
	_ provider.Asserter        = (*Source)(nil)
	_ provider.LeftoverCleaner = (*Source)(nil)
	_ provider.GlobalsRestorer = (*Source)(nil)
)

// New returns a source for opts.
func New(opts Options) (*Source, error) {
	c, err := parseConn(opts.DSN)
	if err != nil {
		return nil, err
	}
	return &Source{opts: opts, conn: c, lockTimeout: defaultLockTimeout}, nil
}

// CheckAssert implements provider.Asserter: SQL assertions only.
func (s *Source) CheckAssert(a provider.Assert) error { return sqlassert.Check(a) }

// conn is a parsed connection: what pgx and the libpq tools need.
type conn struct {
	dsn      string
	host     string
	port     uint16
	user     string
	password string
	database string
	params   map[string]string // libpq settings passed on to the tools (sslmode…)
}

// libpqParams are the DSN settings handed to pg_dump and psql as PG*
// variables, by their DSN name. A setting the DSN lacks is taken from
// velin's own environment (PGSSLMODE…), as pgx does, so that velin and
// its tools always connect the same way.
var libpqParams = map[string]string{
	"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
	"sslkey": "PGSSLKEY", "sslsni": "PGSSLSNI", "connect_timeout": "PGCONNECT_TIMEOUT", "passfile": "PGPASSFILE",
}

var kvParam = regexp.MustCompile(`(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`)

func parseConn(dsn string) (conn, error) {
	params, err := dsnParams(dsn)
	if err != nil {
		return conn{}, err
	}
	pc, err := pgx.ParseConfig(dsn)
	var pe *pgconn.ParseConfigError
	if err != nil && errors.As(err, &pe) && strings.Contains(err.Error(), "failed to configure TLS") {
		// The inner error names a file, never the DSN.
		return conn{}, fmt.Errorf("dsn: the TLS settings cannot be used: %v (fix sslrootcert, sslcert or sslkey)", pe.Unwrap())
	}
	if err != nil {
		return conn{}, errors.New("dsn is not a PostgreSQL connection string (postgres://user@host:5432/app)")
	}
	return conn{dsn: dsn, host: pc.Host, port: pc.Port, user: pc.User, password: pc.Password,
		database: pc.Database, params: params}, nil
}

// dsnParams reads the libpqParams settings of the DSN (a URL or
// key=value pairs), then of the environment for those it lacks.
func dsnParams(dsn string) (map[string]string, error) {
	params := map[string]string{}
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		if u.Query().Has("sslpassword") {
			return nil, errSSLPassword
		}
		for k := range libpqParams {
			if v := u.Query().Get(k); v != "" {
				params[k] = v
			}
		}
	} else {
		for _, m := range kvParam.FindAllStringSubmatch(dsn, -1) {
			if m[1] == "sslpassword" {
				return nil, errSSLPassword
			}
			if _, ok := libpqParams[m[1]]; ok {
				params[m[1]] = strings.Trim(m[2], "'")
			}
		}
	}
	for k, env := range libpqParams {
		if v := os.Getenv(env); v != "" && params[k] == "" {
			params[k] = v
		}
	}
	defaultRootCert(params)
	return params, nil
}

// with returns the connection to another database of the same server.
func (c conn) with(db string) conn {
	c.database = db
	return c
}

// url is a DSN for pgx naming the database.
func (c conn) url() string {
	u := url.URL{Scheme: "postgres", Host: c.hostPort(), Path: "/" + c.database}
	if c.password != "" {
		u.User = url.UserPassword(c.user, c.password)
	} else {
		u.User = url.User(c.user)
	}
	q := url.Values{}
	for k, v := range c.params {
		q.Set(k, v)
	}
	if strings.HasPrefix(c.host, "/") {
		q.Set("host", c.host)
		u.Host = ""
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func (c conn) hostPort() string {
	if strings.HasPrefix(c.host, "/") {
		return c.host + ":" + strconv.Itoa(int(c.port))
	}
	if strings.Contains(c.host, ":") {
		return "[" + c.host + "]:" + strconv.Itoa(int(c.port))
	}
	return c.host + ":" + strconv.Itoa(int(c.port))
}

// where names the server and database for messages (no secret).
func (c conn) where() string { return c.user + "@" + c.hostPort() + "/" + c.database }

// env is the environment of a libpq tool connecting to the database: the
// password travels here, never in argv.
func (c conn) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	env = append(env, "PGHOST="+c.host, "PGPORT="+strconv.Itoa(int(c.port)), "PGUSER="+c.user,
		"PGDATABASE="+c.database, "PGAPPNAME=velin", "PGCONNECT_TIMEOUT=10")
	if c.password != "" {
		env = append(env, "PGPASSWORD="+c.password)
	}
	for k, v := range c.params {
		env = append(env, libpqParams[k]+"="+v)
	}
	return env
}

// connect opens a pgx connection to the database, with a bounded wait.
func (c conn) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(c.url())
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > 15*time.Second {
		cfg.ConnectTimeout = 15 * time.Second
	}
	cfg.RuntimeParams["application_name"] = "velin"
	pg, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", c.where(), connHint(err))
	}
	return pg, nil
}

// connHint adds what to do to the usual connection failures.
func connHint(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "password authentication failed"), strings.Contains(msg, "SASL"):
		return fmt.Errorf("%w (check the user and password in dsn)", err)
	case strings.Contains(msg, "does not exist") && strings.Contains(msg, "database"):
		return fmt.Errorf("%w (create the database or fix the name in dsn/databases)", err)
	case strings.Contains(msg, "connect: connection refused"), strings.Contains(msg, "no such host"),
		strings.Contains(msg, "timeout"), strings.Contains(msg, "i/o timeout"):
		return fmt.Errorf("%w (is the server running and the host/port in dsn right?)", err)
	}
	return tlsHint(err, msg)
}

// ident quotes a name as an SQL identifier.
func ident(parts ...string) string { return pgx.Identifier(parts).Sanitize() }

// identity is what the manifest records: user@host:port/db1,db2 (no password).
func (s *Source) identity() string {
	dbs := s.opts.Databases
	if len(dbs) == 0 {
		dbs = []string{s.conn.database}
	}
	return s.conn.user + "@" + s.conn.hostPort() + "/" + strings.Join(dbs, ",")
}

// withTimeout bounds ctx by the configured timeout.
func (s *Source) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.opts.Timeout > 0 {
		return context.WithTimeout(ctx, s.opts.Timeout)
	}
	return context.WithCancel(ctx)
}
