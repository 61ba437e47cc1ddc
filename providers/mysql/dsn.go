package mysql

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// errDSN is the error of a DSN that cannot be parsed. Its text never
// quotes the DSN, which may hold a password.
var errDSN = errors.New("dsn is neither mysql://user:password@host:3306/db nor the driver's user:password@tcp(host:3306)/db")

// conn is a parsed DSN: where the server is and who connects.
type conn struct {
	User     string
	Password string
	Net      string // "tcp" or "unix"
	Addr     string // host:port, or a socket path
	DB       string // the DSN's database, "" when none
	TLS      string // tlsOff, tlsVerify or tlsSkip (the DSN's tls parameter)
	Files    tlsFiles
}

// parseDSN reads the URL form (mysql:// or mariadb://) or the Go driver's
// form. Errors never quote the input.
func parseDSN(s string) (conn, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return conn{}, errDSN
	}
	if strings.HasPrefix(s, "mysql://") || strings.HasPrefix(s, "mariadb://") {
		return parseURL(s)
	}
	s, tlsValue := cutTLSParam(s)
	mode, err := tlsMode(tlsValue)
	if err != nil {
		return conn{}, err
	}
	cfg, err := mysql.ParseDSN(s)
	if err != nil || cfg.Addr == "" {
		return conn{}, errDSN
	}
	c := conn{User: cfg.User, Password: cfg.Passwd, Net: cfg.Net, Addr: cfg.Addr, DB: cfg.DBName, TLS: mode}
	if c.Net != "tcp" && c.Net != "unix" {
		return conn{}, fmt.Errorf("dsn: network %q is not supported; use tcp(host:port) or unix(/path/to/socket)", c.Net)
	}
	return c, nil
}

func parseURL(s string) (conn, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User == nil {
		return conn{}, errDSN
	}
	c := conn{User: u.User.Username(), Net: "tcp", Addr: u.Host}
	c.Password, _ = u.User.Password()
	if _, _, err := net.SplitHostPort(u.Host); err != nil {
		c.Addr = net.JoinHostPort(strings.Trim(u.Host, "[]"), "3306")
	}
	if sock := u.Query().Get("socket"); sock != "" {
		c.Net, c.Addr = "unix", sock
	}
	if c.TLS, err = tlsMode(u.Query().Get("tls")); err != nil {
		return conn{}, err
	}
	c.DB = strings.TrimPrefix(u.Path, "/")
	if strings.Contains(c.DB, "/") {
		return conn{}, fmt.Errorf("dsn: the path names more than one database; use databases = [...] for several")
	}
	return c, nil
}

// driver returns the go-sql-driver configuration for database db (""
// for none).
func (c conn) driver(db string) (*mysql.Config, error) {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = c.User, c.Password, c.Net, c.Addr, db
	cfg.Timeout = 10 * time.Second
	if err := cfg.Apply(mysql.Charset("utf8mb4", "")); err != nil {
		return nil, err
	}
	var err error
	cfg.TLS, err = c.tlsConfig()
	return cfg, err
}

// where names the server without secrets: "root@127.0.0.1:3306".
func (c conn) where() string {
	return c.User + "@" + c.Addr
}

// hostArgs are the client arguments that say where the server is (never
// the user or the password: those are in the defaults file).
func (c conn) hostArgs() []string {
	if c.Net == "unix" {
		return []string{"--socket=" + c.Addr}
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return []string{"--host=" + c.Addr, "--protocol=TCP"}
	}
	return []string{"--host=" + host, "--port=" + port, "--protocol=TCP"}
}

// identity is what the manifest records: scheme, user, address and the
// databases, never the password. parseIdentity reads it back.
func (c conn) identity(dbs []string) string {
	names := make([]string, len(dbs))
	for i, db := range dbs {
		names[i] = strings.ReplaceAll(url.PathEscape(db), "%2A", "*")
	}
	host, query := c.Addr, ""
	if c.Net == "unix" {
		host, query = "localhost", "?"+url.Values{"socket": {c.Addr}}.Encode()
	}
	return "mysql://" + url.User(c.User).String() + "@" + host + "/" + strings.Join(names, ",") + query
}
