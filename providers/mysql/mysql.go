package mysql

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sqlassert"
)

// TypeName is the source type name in configurations.
const TypeName = "mysql"

// Type is the registry entry of `source "mysql"`.
func Type() provider.SourceType {
	return provider.SourceType{Name: TypeName, Decode: Decode,
		Recover: func(id string) (provider.Source, error) { return Recover(id) }}
}

type config struct {
	DSN              string   `hcl:"dsn"`
	Databases        []string `hcl:"databases,optional"`
	ExcludeTables    []string `hcl:"exclude_tables,optional"`
	ExcludeTableData []string `hcl:"exclude_table_data,optional"`
	DumpPath         string   `hcl:"dump_path,optional"`
	Timeout          string   `hcl:"timeout,optional"`
	TLSCAFile        string   `hcl:"tls_ca_file,optional"`
	TLSCertFile      string   `hcl:"tls_cert_file,optional"`
	TLSKeyFile       string   `hcl:"tls_key_file,optional"`
}

// Options are a source's settings, decoded and checked.
type Options struct {
	DSN              string   // sensitive
	Databases        []string // empty: the DSN's database; ["*"]: every non-system database
	ExcludeTables    []string // "db.table": neither schema nor data
	ExcludeTableData []string // "db.table": schema only
	DumpPath         string   // forces the dump tool; its directory also gives the client
	Timeout          time.Duration
	// TLSCAFile, TLSCertFile and TLSKeyFile are PEM files (absolute
	// paths) for TLS; any of them turns on tls=true unless the DSN says
	// tls=skip-verify.
	TLSCAFile, TLSCertFile, TLSKeyFile string
}

// Source backs up databases of one MariaDB or MySQL server.
type Source struct {
	c        conn
	dbs      []string
	all      bool
	excl     map[string]bool
	exclData map[string]bool
	dumpPath string
	timeout  time.Duration
	lockWait time.Duration // how long a restore's swap waits for other sessions' locks
	// staged, when set (tests), is told the scratch and old schema names
	// of each restore before they are created.
	staged func(scratch, old string)
}

// New checks opts and returns a source. Its errors never quote the DSN.
func New(opts Options) (*Source, error) {
	c, err := parseDSN(opts.DSN)
	if err != nil {
		return nil, err
	}
	c.Files = tlsFiles{CA: opts.TLSCAFile, Cert: opts.TLSCertFile, Key: opts.TLSKeyFile}
	if c.Files != (tlsFiles{}) && c.TLS == tlsOff {
		c.TLS = tlsVerify
	}
	if _, err := c.tlsConfig(); err != nil {
		return nil, err
	}
	s := &Source{c: c, dumpPath: opts.DumpPath, timeout: opts.Timeout, lockWait: time.Minute,
		excl: map[string]bool{}, exclData: map[string]bool{}}
	switch {
	case len(opts.Databases) == 1 && opts.Databases[0] == "*":
		s.all = true
	case len(opts.Databases) > 0:
		for _, db := range opts.Databases {
			if err := checkName(db); err != nil {
				return nil, fmt.Errorf("databases: %w", err)
			}
		}
		s.dbs = append(s.dbs, opts.Databases...)
	case c.DB != "":
		s.dbs = []string{c.DB}
	default:
		return nil, fmt.Errorf("the dsn names no database: add one to its path, or set databases = [\"app\"] (or [\"*\"] for every database)")
	}
	if err := s.tableSet(s.excl, "exclude_tables", opts.ExcludeTables); err != nil {
		return nil, err
	}
	if err := s.tableSet(s.exclData, "exclude_table_data", opts.ExcludeTableData); err != nil {
		return nil, err
	}
	return s, nil
}

func checkName(db string) error {
	switch {
	case db == "*":
		return fmt.Errorf("\"*\" stands alone: databases = [\"*\"] backs up every database")
	case db == "" || len(db) > 64:
		return fmt.Errorf("%q is not a database name (1 to 64 bytes)", db)
	case strings.ContainsAny(db, "\x00/\\."):
		return fmt.Errorf("%q is not a database name velin can dump (no /, \\, . or NUL)", db)
	}
	return nil
}

// tableSet fills set from "db.table" names, which must name a database of
// the source (any database when it backs up all).
func (s *Source) tableSet(set map[string]bool, arg string, names []string) error {
	for _, n := range names {
		db, table, ok := strings.Cut(n, ".")
		if !ok || db == "" || table == "" || len(table) > 64 {
			return fmt.Errorf("%s: %q is not db.table", arg, n)
		}
		if !s.all && !contains(s.dbs, db) {
			return fmt.Errorf("%s: %q is in database %s, which this source does not back up (%s)", arg, n, db, strings.Join(s.dbs, ", "))
		}
		set[n] = true
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Decode decodes a `source "mysql"` body.
func Decode(body hcl.Body, dc provider.DecodeContext) (provider.Source, hcl.Diagnostics) {
	var cfg config
	diags := gohcl.DecodeBody(body, dc.Eval, &cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	if dc.Secret != nil {
		dc.Secret(cfg.DSN)
		if c, err := parseDSN(cfg.DSN); err == nil && c.Password != "" {
			dc.Secret(c.Password)
		}
	}
	timeout, d := provider.TimeoutArg(body, "timeout", cfg.Timeout, 0)
	if diags = append(diags, d...); diags.HasErrors() {
		return nil, diags
	}
	opts := Options{DSN: cfg.DSN, Databases: cfg.Databases, ExcludeTables: cfg.ExcludeTables,
		ExcludeTableData: cfg.ExcludeTableData, DumpPath: cfg.DumpPath, Timeout: timeout,
		TLSCAFile: inDir(dc.Dir, cfg.TLSCAFile), TLSCertFile: inDir(dc.Dir, cfg.TLSCertFile), TLSKeyFile: inDir(dc.Dir, cfg.TLSKeyFile)}
	if d := checkDumpPath(body, opts.DumpPath); d != nil {
		return nil, append(diags, d)
	}
	s, err := New(opts)
	if err != nil {
		return nil, append(diags, provider.AttrDiag(body, argOf(err.Error()), "Invalid mysql source", err.Error()))
	}
	return s, diags
}

// argOf names the argument an error of New is about.
func argOf(msg string) string {
	for _, a := range []string{"databases", "exclude_tables", "exclude_table_data", "tls_ca_file", "tls_cert_file"} {
		if strings.HasPrefix(msg, a+":") {
			return a
		}
	}
	return "dsn"
}

// inDir makes a relative path relative to the configuration's directory.
func inDir(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func checkDumpPath(body hcl.Body, p string) *hcl.Diagnostic {
	if p == "" {
		return nil
	}
	if !strings.HasPrefix(p, "/") {
		return provider.AttrDiag(body, "dump_path", "Invalid dump_path",
			fmt.Sprintf("%q is not an absolute path; name the dump tool, e.g. \"/usr/bin/mariadb-dump\".", p))
	}
	return nil
}

// Recover makes a source from a manifest's identity (no password). The
// password comes from MYSQL_PWD when set; otherwise a restore needs --to
// with the full DSN.
func Recover(identity string) (*Source, error) {
	c, err := parseURL(identity)
	if err != nil {
		return nil, fmt.Errorf("recover mysql source: %q is not a mysql source identity", identity)
	}
	dbs := strings.Split(c.DB, ",")
	c.Password = os.Getenv("MYSQL_PWD")
	s := &Source{c: c, excl: map[string]bool{}, exclData: map[string]bool{}, lockWait: time.Minute}
	if len(dbs) == 1 && dbs[0] == "*" {
		s.all = true
	} else {
		s.dbs = dbs
	}
	return s, nil
}

// CheckAssert implements provider.Asserter: SQL assertions only.
func (s *Source) CheckAssert(a provider.Assert) error { return sqlassert.Check(a) }
