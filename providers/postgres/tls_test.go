package postgres

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/provider"
)

const tlsPassword = "Tls-s3cret-pw"

// tlsServer starts a PostgreSQL cluster that accepts only TLS connections
// with a client certificate, holding a database "app" with 3 rows, and
// returns its certificates and a DSN of "app" that verifies everything
// (verify-full, sslrootcert, sslcert, sslkey).
func tlsServer(t *testing.T) (dbtest.Certs, string) {
	certs := dbtest.NewCerts(t)
	base := dbtest.PostgresTLS(t, tlsPassword, certs)
	cert, key := certs.Client(t, "postgres")
	q := url.Values{"sslmode": {"verify-full"}, "sslrootcert": {certs.CA}, "sslcert": {cert}, "sslkey": {key}}
	admin := base + "?" + q.Encode()
	pgExec(t, admin, "CREATE DATABASE app")
	app := dbtest.WithDatabase(t, admin, "app")
	pgExec(t, app, "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	return certs, app
}

// TestTLS: backup and restore through TLS only, pg_dump and psql getting
// the DSN's TLS settings (the server refuses them otherwise: hostssl with
// clientcert=verify-full), and plan-time errors that say how to fix an
// untrusted server certificate or a missing TLS setting.
func TestTLS(t *testing.T) {
	_, app := tlsServer(t)
	t.Run("round trip", func(t *testing.T) {
		s := newSource(t, Options{DSN: app})
		facts, err := s.Inspect(context.Background())
		if err != nil {
			t.Fatalf("inspect: %v", err)
		}
		tree, _ := backup(t, s)
		if _, dump := dumpOf(t, tree); !strings.Contains(string(dump), "COPY public.items") {
			t.Fatalf("the dump holds no rows of items (facts %+v)", facts)
		}
		pgExec(t, app, "DELETE FROM items WHERE id > 1; INSERT INTO items VALUES (9, 'after')")
		if err := s.Restore(context.Background(), tree, provider.RestoreOptions{}); err != nil {
			t.Fatalf("restore: %v", err)
		}
		if got := scalar[string](t, app, "SELECT string_agg(id || name, ',' ORDER BY id) FROM items"); got != "1a,2b,3c" {
			t.Fatalf("restored rows %q, want 1a,2b,3c", got)
		}
		rep, err := s.TestRestore(context.Background(), tree, provider.TestRestoreOptions{ID: "tls1",
			Asserts: []provider.Assert{{Name: "three", SQL: "SELECT count(*) = 3 FROM items"}}})
		if err != nil || len(rep.Failed()) > 0 {
			t.Fatalf("test restore: %v %+v", err, rep.Failed())
		}
	})
	other := dbtest.NewCerts(t)
	cases := []struct {
		name string
		dsn  string
		want []string
	}{
		{"untrusted server certificate", withParam(t, app, "sslrootcert", other.CA),
			[]string{"inspect postgres", "/app", "certificate signed by unknown authority", "not trusted", "sslrootcert=/path/to/ca.pem"}},
		{"TLS required, not configured", withParam(t, app, "sslmode", "disable"),
			[]string{"inspect postgres", "/app", "no encryption", "accepts only TLS", "sslmode=verify-full", "sslrootcert="}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newSource(t, Options{DSN: tc.dsn}).Inspect(context.Background())
			if err == nil {
				t.Fatal("inspect succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), tlsPassword) {
				t.Errorf("error quotes the password: %v", err)
			}
		})
	}
}

// withParam returns dsn with one query parameter replaced.
func withParam(t *testing.T, dsn, k, v string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestToolEnvCarriesTLS: every TLS setting of the DSN, or else of velin's
// environment, reaches pg_dump and psql; sslpassword is refused.
func TestToolEnvCarriesTLS(t *testing.T) {
	certs := dbtest.NewCerts(t) // pgx reads the files while parsing
	cert, key := certs.Client(t, "u")
	t.Setenv("PGSSLROOTCERT", certs.CA)
	t.Setenv("PGSSLMODE", "require")
	c, err := parseConn("postgres://u:pw@db.example:5432/app?sslmode=verify-full&sslcert=" + cert + "&sslkey=" + key + "&sslsni=0")
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Join(c.env(), "\n") + "\n"
	for _, w := range []string{"PGSSLMODE=verify-full\n", "PGSSLROOTCERT=" + certs.CA + "\n", "PGSSLCERT=" + cert + "\n", "PGSSLKEY=" + key + "\n", "PGSSLSNI=0\n"} {
		if !strings.Contains(env, w) {
			t.Errorf("tool environment lacks %q", w)
		}
	}
	if strings.Contains(env, "PGSSLMODE=require") {
		t.Error("the environment's sslmode overrides the DSN's")
	}
	if !strings.Contains(c.url(), "sslrootcert="+url.QueryEscape(certs.CA)) {
		t.Errorf("pgx's URL %q lacks the environment's sslrootcert", c.url())
	}
	for _, dsn := range []string{"postgres://u@h/app?sslkey=/k&sslpassword=x", "host=h dbname=app sslkey=/k sslpassword=x"} {
		if _, err := parseConn(dsn); err == nil || !strings.Contains(err.Error(), "sslpassword is not supported") {
			t.Errorf("%s: %v", dsn, err)
		}
	}
	_, err = parseConn("postgres://u:pw@h/app?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/ca.pem") || !strings.Contains(err.Error(), "fix sslrootcert") {
		t.Errorf("a missing CA file: %v", err)
	}
}

// TestDefaultRootCert: verify-full without sslrootcert checks against
// libpq's ~/.postgresql/root.crt when it exists, else the system's
// bundle, for pgx and the tools alike; other modes are left alone.
func TestDefaultRootCert(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	c, err := parseConn("postgres://u@h/app?sslmode=verify-full")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.params["sslrootcert"]; got == "" || strings.HasPrefix(got, home) {
		t.Errorf("without ~/.postgresql/root.crt: sslrootcert %q, want the system bundle", got)
	}
	certs := dbtest.NewCerts(t)
	rootCrt := filepath.Join(home, ".postgresql", "root.crt")
	if err := os.MkdirAll(filepath.Dir(rootCrt), 0o700); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(certs.CA)
	if err := os.WriteFile(rootCrt, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = parseConn("postgres://u@h/app?sslmode=verify-ca")
	if err != nil || c.params["sslrootcert"] != rootCrt || !strings.Contains(strings.Join(c.env(), "\n"), "PGSSLROOTCERT="+rootCrt) {
		t.Errorf("with ~/.postgresql/root.crt: %v %q", err, c.params["sslrootcert"])
	}
	if c, _ := parseConn("postgres://u@h/app?sslmode=require"); c.params["sslrootcert"] != "" {
		t.Errorf("sslmode=require got sslrootcert %q", c.params["sslrootcert"])
	}
}
