package postgres

import (
	"fmt"
	"net/url"
	"strings"
)

// Recover makes a source from a manifest's identity
// ("user@host:port/db1,db2"), for restores and verification without the
// plan. The identity holds no password: the tools then take it from
// PGPASSWORD or ~/.pgpass, or the restore names its server with --to.
func Recover(identity string) (*Source, error) {
	at := strings.LastIndex(identity, "@")
	slash := strings.Index(identity[at+1:], "/")
	if at <= 0 || slash < 0 {
		return nil, fmt.Errorf("recover postgres source: identity %q is not user@host:port/databases", identity)
	}
	user, hostPort, dbs := identity[:at], identity[at+1:at+1+slash], strings.Split(identity[at+2+slash:], ",")
	first := dbs[0]
	if first == "*" {
		first = "postgres"
	}
	u := url.URL{Scheme: "postgres", User: url.User(user), Host: hostPort, Path: "/" + first}
	if strings.HasPrefix(hostPort, "/") {
		i := strings.LastIndex(hostPort, ":")
		u.Host = ""
		u.RawQuery = url.Values{"host": {hostPort[:i]}, "port": {hostPort[i+1:]}}.Encode()
	}
	s, err := New(Options{DSN: u.String(), Databases: dbs})
	if err != nil {
		return nil, fmt.Errorf("recover postgres source %s: %w (set PGPASSWORD, or restore with --to DSN)", identity, err)
	}
	return s, nil
}
