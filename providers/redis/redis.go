package redis

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	goredis "github.com/redis/go-redis/v9"
	"github.com/zclconf/go-cty/cty"

	"github.com/velinhq/velin/providers/provider"
)

// TypeName is the source type name in configurations.
const TypeName = "redis"

// AllDBs is the db value (and the default) that backs up every database
// holding keys.
const AllDBs = -1

// Type is the registry entry of `source "redis"`.
func Type() provider.SourceType {
	return provider.SourceType{Name: TypeName, Decode: Decode,
		Recover: func(id string) (provider.Source, error) { return Recover(id) }}
}

type config struct {
	Addr            string    `hcl:"addr"`
	Password        string    `hcl:"password,optional"`
	Username        string    `hcl:"username,optional"`
	TLS             bool      `hcl:"tls,optional"`
	TLSCAFile       string    `hcl:"tls_ca_file,optional"`
	TLSCertFile     string    `hcl:"tls_cert_file,optional"`
	TLSKeyFile      string    `hcl:"tls_key_file,optional"`
	TLSServerName   string    `hcl:"tls_server_name,optional"`
	DB              cty.Value `hcl:"db,optional"`
	Flush           bool      `hcl:"flush,optional"`
	ScratchDB       *int      `hcl:"scratch_db,optional"`
	TestRestoreAddr string    `hcl:"test_restore_addr,optional"`
	Timeout         string    `hcl:"timeout,optional"`
}

// Server is how to reach one Redis server. Password is a secret.
type Server struct {
	Addr     string // host:port
	Username string
	Password string
	TLS      bool
	TLSOpts  TLS // how TLS is checked, when TLS is on
}

// Source backs up the databases of one Redis server.
type Source struct {
	srv       Server
	db        int  // a database number, or AllDBs
	flush     bool // empty the database before restoring (no merge)
	scratch   int  // database that stages restores; -1 picks an empty one
	testAddr  string
	timeout   time.Duration
	batchKeys int64
}

// Options configure New.
type Options struct {
	DB              int // a database number, or AllDBs
	Flush           bool
	ScratchDB       int // -1 (default when ScratchDB is unset): pick an empty database
	TestRestoreAddr string
	Timeout         time.Duration // per command; 0 means 30 s
}

// New returns a source for the server srv.
func New(srv Server, o Options) *Source {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	// go-redis prints connection failures to stderr on its own; velin
	// reports them as errors, so its (process-wide) logger is silenced.
	goredis.SetLogger(quiet{})
	return &Source{srv: srv, db: o.DB, flush: o.Flush, scratch: o.ScratchDB,
		testAddr: o.TestRestoreAddr, timeout: o.Timeout, batchKeys: 1000}
}

// Decode decodes a `source "redis"` body.
func Decode(body hcl.Body, dc provider.DecodeContext) (provider.Source, hcl.Diagnostics) {
	var cfg config
	diags := gohcl.DecodeBody(body, dc.Eval, &cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	srv, urlDB, err := ParseAddr(cfg.Addr)
	if err != nil {
		return nil, append(diags, provider.AttrDiag(body, "addr", "Invalid addr", err.Error()+
			` Give host:port ("127.0.0.1:6379") or a URL ("redis://host:6379/0", "rediss://" for TLS).`))
	}
	if cfg.Password != "" {
		srv.Password = cfg.Password
	}
	if cfg.Username != "" {
		srv.Username = cfg.Username
	}
	srv.TLS = srv.TLS || cfg.TLS
	if d := decodeTLS(body, cfg, dc.Dir, &srv); d != nil {
		return nil, append(diags, d)
	}
	if srv.Password != "" && dc.Secret != nil {
		dc.Secret(srv.Password)
	}
	db, d := decodeDB(body, cfg.DB, urlDB)
	if d != nil {
		return nil, append(diags, d)
	}
	o := Options{DB: db, Flush: cfg.Flush, ScratchDB: -1, TestRestoreAddr: cfg.TestRestoreAddr}
	if cfg.ScratchDB != nil {
		if *cfg.ScratchDB < 0 || *cfg.ScratchDB == db {
			return nil, append(diags, provider.AttrDiag(body, "scratch_db", "Invalid scratch_db",
				"scratch_db must be a database number that is not the one backed up (db)."))
		}
		o.ScratchDB = *cfg.ScratchDB
	}
	if cfg.TestRestoreAddr != "" {
		if _, _, err := ParseAddr(cfg.TestRestoreAddr); err != nil {
			return nil, append(diags, provider.AttrDiag(body, "test_restore_addr", "Invalid test_restore_addr", err.Error()))
		}
	}
	var td hcl.Diagnostics
	o.Timeout, td = provider.TimeoutArg(body, "timeout", cfg.Timeout, 30*time.Second)
	if td.HasErrors() {
		return nil, append(diags, td...)
	}
	return New(srv, o), diags
}

// decodeDB reads the db argument: a number, or "all"; absent means the
// URL's database when addr gives one, else all.
func decodeDB(body hcl.Body, v cty.Value, urlDB int) (int, *hcl.Diagnostic) {
	bad := provider.AttrDiag(body, "db", "Invalid db",
		`db must be a database number (0, 1, …) or "all" (every database that holds keys).`)
	if v.IsNull() {
		return urlDB, nil
	}
	if !v.IsKnown() {
		return 0, bad
	}
	var s string
	switch v.Type() {
	case cty.Number:
		bf := v.AsBigFloat()
		n, acc := bf.Int64()
		if !bf.IsInt() || acc != 0 || n < 0 || n > 1<<20 {
			return 0, bad
		}
		return checkURLDB(body, int(n), urlDB)
	case cty.String:
		s = v.AsString()
	default:
		return 0, bad
	}
	if s == "all" {
		return checkURLDB(body, AllDBs, urlDB)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, bad
	}
	return checkURLDB(body, n, urlDB)
}

func checkURLDB(body hcl.Body, db, urlDB int) (int, *hcl.Diagnostic) {
	if urlDB != AllDBs && urlDB != db {
		return 0, provider.AttrDiag(body, "db", "Conflicting db",
			fmt.Sprintf("addr selects database %d but db says %s: give the database in one place only.", urlDB, dbName(db)))
	}
	return db, nil
}

// ParseAddr reads host:port or a redis:// / rediss:// URL, returning the
// URL's database number (AllDBs when it has none).
func ParseAddr(s string) (Server, int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Server{}, 0, fmt.Errorf("the address is empty.")
	}
	if !strings.Contains(s, "://") {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return Server{}, 0, fmt.Errorf("%q is not host:port.", s)
		}
		return Server{Addr: s}, AllDBs, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return Server{}, 0, fmt.Errorf("the address is not a valid URL.")
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return Server{}, 0, fmt.Errorf("the URL scheme %q is not redis or rediss.", u.Scheme)
	}
	srv := Server{Addr: u.Host, TLS: u.Scheme == "rediss"}
	if u.Port() == "" {
		srv.Addr = net.JoinHostPort(u.Hostname(), "6379")
	}
	if u.User != nil {
		srv.Username = u.User.Username()
		srv.Password, _ = u.User.Password()
	}
	db := AllDBs
	if p := strings.Trim(u.Path, "/"); p != "" {
		if db, err = strconv.Atoi(p); err != nil || db < 0 {
			return Server{}, 0, fmt.Errorf("the URL path %q is not a database number.", u.Path)
		}
	}
	return srv, db, nil
}

// identity is what the manifest records: a URL without the password.
func (s *Source) identity() string {
	u := url.URL{Scheme: "redis", Host: s.srv.Addr}
	if s.srv.TLS {
		u.Scheme = "rediss"
	}
	if s.srv.Username != "" {
		u.User = url.User(s.srv.Username)
	}
	if s.db != AllDBs {
		u.Path = "/" + strconv.Itoa(s.db)
	}
	return u.String()
}

// Recover makes a source from a manifest's identity (a URL without
// password). A server that needs a password cannot be reached that way:
// restore with --to redis://user:password@host:port, or from the plan.
func Recover(identity string) (*Source, error) {
	srv, db, err := ParseAddr(identity)
	if err != nil {
		return nil, fmt.Errorf("recover redis source: %v", err)
	}
	if srv.Password != "" {
		return nil, fmt.Errorf("recover redis source: the identity holds a password")
	}
	return New(srv, Options{DB: db, ScratchDB: -1}), nil
}

// client connects to database db of srv. Connections are made lazily;
// errors appear at the first command.
func (s *Source) client(srv Server, db int) *goredis.Client {
	o := &goredis.Options{Addr: srv.Addr, Username: srv.Username, Password: srv.Password, DB: db,
		DialTimeout: s.timeout, ReadTimeout: s.timeout, WriteTimeout: s.timeout,
		MaxRetries: -1, DialerRetries: 1, PoolSize: 4, DisableIdentity: true, Protocol: 2}
	if srv.TLS {
		var err error
		if o.TLSConfig, err = srv.TLSOpts.config(srv.Addr); err != nil {
			o.Dialer = failingDialer(err)
		}
	}
	return goredis.NewClient(o)
}

func dbName(db int) string {
	if db == AllDBs {
		return `"all"`
	}
	return strconv.Itoa(db)
}

// quiet is a go-redis logger that drops everything.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
