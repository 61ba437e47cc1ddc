package postgres

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/jackc/pgx/v5"

	"github.com/velinhq/velin/providers/provider"
)

// config is the body of a `source "postgres"` block.
type config struct {
	DSN                  string   `hcl:"dsn"`
	Databases            []string `hcl:"databases,optional"`
	Schemas              []string `hcl:"schemas,optional"`
	ExcludeTables        []string `hcl:"exclude_tables,optional"`
	ExcludeTableData     []string `hcl:"exclude_table_data,optional"`
	Globals              bool     `hcl:"globals,optional"`
	PgDumpPath           string   `hcl:"pg_dump_path,optional"`
	TerminateConnections bool     `hcl:"terminate_connections,optional"`
	Timeout              string   `hcl:"timeout,optional"`
}

// Options configure a Source (the decoded block, or a recovered one).
type Options struct {
	DSN                  string   // libpq URL or keyword DSN; may hold a password
	Databases            []string // empty: the DSN's database; ["*"]: every non-template database
	Schemas              []string // empty: every schema
	ExcludeTables        []string // "schema.table" patterns (pg_dump syntax)
	ExcludeTableData     []string // tables whose definition is dumped but not their rows
	Globals              bool     // also dump roles and tablespaces
	PgDumpPath           string   // a pg_dump binary or a directory holding one; psql is taken next to it
	TerminateConnections bool     // a restore in place terminates other sessions of the database
	Timeout              time.Duration
}

// Decode decodes a `source "postgres"` body.
func Decode(body hcl.Body, dc provider.DecodeContext) (provider.Source, hcl.Diagnostics) {
	var cfg config
	diags := gohcl.DecodeBody(body, dc.Eval, &cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	attrs, _ := body.JustAttributes()
	rng := func(name string) *hcl.Range {
		if a, ok := attrs[name]; ok {
			return a.Expr.Range().Ptr()
		}
		return body.MissingItemRange().Ptr()
	}
	bad := func(name, summary, detail string) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng(name)})
	}
	if dc.Secret != nil {
		dc.Secret(cfg.DSN)
		if pc, err := pgx.ParseConfig(cfg.DSN); err == nil && pc.Password != "" {
			dc.Secret(pc.Password)
		}
	}
	opts := Options{DSN: cfg.DSN, Databases: cfg.Databases, Schemas: cfg.Schemas, ExcludeTables: cfg.ExcludeTables,
		ExcludeTableData: cfg.ExcludeTableData, Globals: cfg.Globals, PgDumpPath: cfg.PgDumpPath,
		TerminateConnections: cfg.TerminateConnections}
	if strings.TrimSpace(cfg.DSN) == "" {
		bad("dsn", "Invalid dsn", `dsn must be a PostgreSQL connection string, e.g. "postgres://user@host:5432/app".`)
	} else if _, err := pgx.ParseConfig(cfg.DSN); err != nil {
		bad("dsn", "Invalid dsn", "dsn is not a PostgreSQL connection string (postgres://user@host:5432/app or \"host=… dbname=…\").")
	}
	if err := checkNames("databases", cfg.Databases, true); err != nil {
		bad("databases", "Invalid databases", err.Error())
	}
	for name, list := range map[string][]string{"schemas": cfg.Schemas, "exclude_tables": cfg.ExcludeTables, "exclude_table_data": cfg.ExcludeTableData} {
		if err := checkNames(name, list, false); err != nil {
			bad(name, "Invalid "+name, err.Error())
		}
	}
	if cfg.Timeout != "" {
		d, err := time.ParseDuration(cfg.Timeout)
		if err != nil || d <= 0 {
			bad("timeout", "Invalid timeout", fmt.Sprintf("timeout %q must be a positive duration such as \"30m\" or \"2h\".", cfg.Timeout))
		}
		opts.Timeout = d
	}
	if diags.HasErrors() {
		return nil, diags
	}
	if opts.PgDumpPath != "" && !strings.HasPrefix(opts.PgDumpPath, "/") {
		opts.PgDumpPath = dc.Dir + "/" + opts.PgDumpPath
	}
	s, err := New(opts)
	if err != nil {
		bad("dsn", "Invalid dsn", err.Error())
		return nil, diags
	}
	return s, diags
}

// checkNames refuses empty names, and "*" mixed with names.
func checkNames(arg string, names []string, star bool) error {
	for _, n := range names {
		if strings.TrimSpace(n) == "" {
			return fmt.Errorf("%s holds an empty name; list names such as [\"app\"]", arg)
		}
		if strings.ContainsRune(n, 0) {
			return fmt.Errorf("%s holds a name with a NUL byte", arg)
		}
		if star && n == "*" && len(names) > 1 {
			return fmt.Errorf(`%s = ["*"] means every database and cannot be mixed with names`, arg)
		}
	}
	return nil
}
