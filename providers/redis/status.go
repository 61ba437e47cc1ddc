package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// status is what INFO says about a server.
type status struct {
	version string
	keys    map[int]int64 // keys per database that holds any (INFO keyspace)
	memory  string        // used_memory_human
}

// status connects to srv (to the configured database, so that a number
// the server does not have is found here) and reads INFO.
func (s *Source) status(ctx context.Context, srv Server) (status, error) {
	db := s.db
	if db == AllDBs {
		db = 0
	}
	c := s.client(srv, db)
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		return status{}, s.explain(srv, db, err)
	}
	st, err := readStatus(ctx, c)
	if err == nil {
		err = mayRead(ctx, c)
	}
	if err != nil {
		return st, s.explain(srv, db, err)
	}
	return st, nil
}

// mayRead runs the commands a backup needs (SCAN, DUMP, PTTL) on a key
// that does not exist, so that a user without them is refused before
// anything runs. A key pattern the user may not read is not refused here:
// the keys of the database may all be readable.
func mayRead(ctx context.Context, c *goredis.Client) error {
	const probe = "velin:permission-probe"
	cmds, _ := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		p.Scan(ctx, 0, "", 1)
		p.Dump(ctx, probe)
		p.PTTL(ctx, probe)
		return nil
	})
	for _, cmd := range cmds {
		err := cmd.Err()
		if err != nil && err != goredis.Nil && !strings.Contains(err.Error(), "permissions to access") {
			return err
		}
	}
	return nil
}

func readStatus(ctx context.Context, c *goredis.Client) (status, error) {
	st := status{keys: map[int]int64{}}
	server, err := c.Info(ctx, "server").Result()
	if err != nil {
		return st, fmt.Errorf("info server: %w", err)
	}
	st.version = infoField(server, "redis_version")
	keyspace, err := c.Info(ctx, "keyspace").Result()
	if err != nil {
		return st, fmt.Errorf("info keyspace: %w", err)
	}
	st.keys = parseKeyspace(keyspace)
	if mem, err := c.Info(ctx, "memory").Result(); err == nil {
		st.memory = infoField(mem, "used_memory_human")
	}
	return st, nil
}

// infoField returns the value of "name:value" in an INFO reply.
func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}

// parseKeyspace reads lines "db0:keys=12,expires=0,avg_ttl=0".
func parseKeyspace(info string) map[int]int64 {
	out := map[int]int64{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "db") {
			continue
		}
		db, err := strconv.Atoi(name[2:])
		if err != nil {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(kv, "keys="); ok {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
					out[db] = n
				}
			}
		}
	}
	return out
}

// explain turns a connection error into one that says the cause and the
// fix. It never quotes the password (go-redis errors do not hold it).
func (s *Source) explain(srv Server, db int, err error) error {
	msg := err.Error()
	var op *net.OpError
	var dns *net.DNSError
	if tlsErr := explainTLS(srv, err); tlsErr != nil {
		return tlsErr
	}
	switch {
	case strings.Contains(msg, "WRONGPASS") || strings.Contains(msg, "invalid password") ||
		strings.Contains(msg, "invalid username-password"):
		return fmt.Errorf("%s refused the credentials of user %q (%s): check password and username in the source block", srv.Addr, userName(srv), firstLine(msg))
	case strings.Contains(msg, "NOAUTH"):
		return fmt.Errorf("%s requires a password (%s): set password (and username for an ACL user) in the source block", srv.Addr, firstLine(msg))
	case strings.Contains(msg, "NOPERM"):
		return fmt.Errorf("user %q lacks a permission on %s (%s): grant it +@read +@keyspace +dump +info +ping, and +restore +swapdb +flushdb +copy to restore", userName(srv), srv.Addr, firstLine(msg))
	case strings.Contains(msg, "DB index is out of range"):
		return fmt.Errorf("database %d does not exist on %s (%s): set db to a number below the server's \"databases\" setting (16 by default)", db, srv.Addr, firstLine(msg))
	case (errors.As(err, &op) || errors.Is(err, context.DeadlineExceeded)) && srv.TLS:
		return fmt.Errorf("cannot reach %s over TLS (%s): check addr (with tls on, the server's tls-port), and that the server runs and accepts connections from this host", srv.Addr, firstLine(msg))
	case errors.As(err, &dns) || errors.As(err, &op) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("cannot reach %s (%s): check addr, and that the server runs and accepts connections from this host", srv.Addr, firstLine(msg))
	}
	return fmt.Errorf("%s: %w", srv.Addr, err)
}

func userName(srv Server) string {
	if srv.Username == "" {
		return "default"
	}
	return srv.Username
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
