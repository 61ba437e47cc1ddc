package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/velinhq/velin/providers/dbtest"
)

const tlsPassword = "tls-e2e-Passw0rd-5519"

// tlsPlan backs up one source block (type, name and body) to a local
// target.
func tlsPlan(typ, body string) string {
	return fmt.Sprintf(`
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source %q "app" {
%s
}
backup "nightly" {
  sources = [source.%s.app]
  target  = target.local.disk
}
`, typ, body, typ)
}

// copyInto copies a file into the project (a relative path in the plan).
func copyInto(t *testing.T, p *project, src, rel string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	p.write(rel, string(data))
	if err := os.Chmod(p.path(rel), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRedisTLSRoundTrip: plan, backup and restore with the velin binary
// through a TLS-only redis-server that wants client certificates, the
// CA and certificate given as paths relative to the plan.
func TestRedisTLSRoundTrip(t *testing.T) {
	certs := dbtest.NewCerts(t)
	addr := dbtest.RedisTLS(t, certs, tlsPassword, true)
	cert, key := certs.Client(t, "velin")
	p := newProject(t, tlsPlan("redis", fmt.Sprintf(`  addr          = "rediss://%s/0"
  password      = env("REDIS_PASSWORD")
  tls_ca_file   = "tls/ca.pem"
  tls_cert_file = "tls/client.pem"
  tls_key_file  = "tls/client.key"
  flush         = true`, addr)))
	p.env = append(p.env, "REDIS_PASSWORD="+tlsPassword)
	copyInto(t, p, certs.CA, "tls/ca.pem")
	copyInto(t, p, cert, "tls/client.pem")
	copyInto(t, p, key, "tls/client.key")
	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(certs.CA)
	pool.AppendCertsFromPEM(pem)
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	c := redisClient(t, &goredis.Options{Addr: addr, Password: tlsPassword,
		TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", Certificates: []tls.Certificate{pair}}})
	ctx := context.Background()
	for i := range 50 {
		c.Set(ctx, fmt.Sprintf("k%d", i), i, 0)
	}
	var outputs []string
	for _, args := range [][]string{{"plan"}, {"backup", "create"}} {
		outputs = append(outputs, p.must(args...).String())
	}
	c.Del(ctx, "k1")
	c.Set(ctx, "extra", "x", 0)
	outputs = append(outputs, p.must("backup", "restore", "latest", "--source", "redis.app", "--yes").String())
	if n, _ := c.DBSize(ctx).Result(); n != 50 || c.Exists(ctx, "k1").Val() != 1 {
		t.Errorf("after the restore: %d keys (want 50), k1 exists %d", n, c.Exists(ctx, "k1").Val())
	}
	for _, out := range outputs {
		if strings.Contains(out, tlsPassword) {
			t.Errorf("the password shows in the output:\n%s", out)
		}
	}
}

// TestTLSPlanErrors: `velin plan` against servers that accept TLS only,
// with a CA that does not trust them and with no TLS set: each names the
// source, the cause and the fix, and backup stores nothing.
func TestTLSPlanErrors(t *testing.T) {
	certs, other := dbtest.NewCerts(t), dbtest.NewCerts(t)
	pgBase := dbtest.PostgresTLS(t, tlsPassword, certs)
	pgCert, pgKey := certs.Client(t, "postgres")
	pg := func(ca, mode string) string {
		q := url.Values{"sslmode": {mode}, "sslrootcert": {ca}, "sslcert": {pgCert}, "sslkey": {pgKey}}
		return pgBase + "?" + q.Encode()
	}
	redisAddr := dbtest.RedisTLS(t, certs, tlsPassword, false)
	mariaAddr := dbtest.MariaDBTLS(t, certs, tlsPassword)
	otherCA := filepath.ToSlash(other.CA)
	cases := []struct {
		name, typ, body, dsn, addr string
		says                       []string
	}{
		{"postgres untrusted", "postgres", `dsn = env("APP_DSN")`, pg(other.CA, "verify-full"), "postgres.app",
			[]string{"unknown authority", "not trusted", "add sslrootcert="}},
		{"postgres TLS missing", "postgres", `dsn = env("APP_DSN")`, pg(certs.CA, "disable"), "postgres.app",
			[]string{"no encryption", "accepts only TLS", "sslmode=verify-full"}},
		{"redis untrusted", "redis", fmt.Sprintf("addr = \"rediss://%s/0\"\npassword = env(\"APP_DSN\")\ntls_ca_file = %q", redisAddr, otherCA), tlsPassword, "redis.app",
			[]string{"unknown authority", "not trusted", "set tls_ca_file"}},
		{"redis TLS missing", "redis", fmt.Sprintf("addr = \"redis://%s/0\"\npassword = env(\"APP_DSN\")", redisAddr), tlsPassword, "redis.app",
			[]string{"closed the connection", "set tls = true"}},
		{"mysql untrusted", "mysql", fmt.Sprintf("dsn = env(\"APP_DSN\")\ntls_ca_file = %q", otherCA), dbtest.MariaDBURL(mariaAddr, "velin", tlsPassword, "mysql", "tls=true"), "mysql.app",
			[]string{"unknown authority", "not trusted", "set tls_ca_file"}},
		{"mysql TLS missing", "mysql", `dsn = env("APP_DSN")`, dbtest.MariaDBURL(mariaAddr, "velin", tlsPassword, "mysql", ""), "mysql.app",
			[]string{"refused the login", "requires TLS", "add tls=true"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newProject(t, tlsPlan(c.typ, c.body))
			p.env = append(p.env, "APP_DSN="+c.dsn)
			r := p.run("plan")
			out := r.stdout + r.stderr
			if r.code == 0 || !strings.Contains(out, c.addr) {
				t.Errorf("plan: want a failure naming %s: %s", c.addr, r)
			}
			for _, s := range c.says {
				if !strings.Contains(out, s) {
					t.Errorf("plan output does not say %q: %s", s, r)
				}
			}
			if r := p.run("backup", "create"); r.code == 0 || len(p.snapshotsOrNone()) != 0 {
				t.Errorf("backup create: %s", r)
			}
			if strings.Contains(out, tlsPassword) {
				t.Errorf("the password shows in the output: %s", r)
			}
		})
	}
}
