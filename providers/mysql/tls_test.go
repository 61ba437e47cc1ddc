package mysql

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"os"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

const tlsPassword = "Tls-s3cret-pw"

// tlsAdmin is the test's own connection (not the code under test) to a
// MariaDBTLS server, as velin over TLS.
func tlsAdmin(t *testing.T, addr string, certs dbtest.Certs) *sql.DB {
	t.Helper()
	pem, err := os.ReadFile(certs.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = "velin", tlsPassword, "tcp", addr
	cfg.MultiStatements = true
	cfg.TLS = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	t.Cleanup(func() { db.Close() })
	return db
}

// TestTLS: backup, restore and test restore through a server that
// requires secure transport, as an account that must present a client
// certificate (so the dump tool and the client must get the same TLS
// settings as velin), and plan errors that say how to fix TLS mistakes.
func TestTLS(t *testing.T) {
	certs := dbtest.NewCerts(t)
	addr := dbtest.MariaDBTLS(t, certs, tlsPassword)
	admin := tlsAdmin(t, addr, certs)
	mustExec(t, admin, "CREATE DATABASE shop; CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB;"+
		"INSERT INTO shop.items VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	cert, key := certs.Client(t, "velin_x509")
	ctx := context.Background()
	t.Run("round trip", func(t *testing.T) {
		s := newSource(t, Options{DSN: dbtest.MariaDBURL(addr, "velin_x509", tlsPassword, "shop", "tls=true"),
			TLSCAFile: certs.CA, TLSCertFile: cert, TLSKeyFile: key})
		if _, err := s.Inspect(ctx); err != nil {
			t.Fatalf("inspect: %v", err)
		}
		snap := sourcetest.NewMemSnapshot(nil)
		if _, err := s.Backup(ctx, snap, provider.BackupOptions{}); err != nil {
			t.Fatalf("backup: %v", err)
		}
		tree := snap.Finish()
		mustExec(t, admin, "DELETE FROM shop.items WHERE id > 1; INSERT INTO shop.items VALUES (9, 'after')")
		if err := s.Restore(ctx, tree, provider.RestoreOptions{}); err != nil {
			t.Fatalf("restore: %v", err)
		}
		got := query(t, admin, "SELECT GROUP_CONCAT(id, name ORDER BY id) FROM shop.items")[0][0]
		if got != "1a,2b,3c" {
			t.Fatalf("restored rows %q, want 1a,2b,3c", got)
		}
		rep, err := s.TestRestore(ctx, tree, provider.TestRestoreOptions{ID: "tls1",
			Asserts: []provider.Assert{{Name: "three", SQL: "SELECT COUNT(*) = 3 FROM items"}}})
		if err != nil || len(rep.Failed()) > 0 {
			t.Fatalf("test restore: %v %+v", err, rep.Failed())
		}
	})
	other := dbtest.NewCerts(t)
	for _, tc := range []struct {
		name string
		opts Options
		want []string
	}{
		{"untrusted server certificate", Options{DSN: dbtest.MariaDBURL(addr, "velin", tlsPassword, "shop", "tls=true"), TLSCAFile: other.CA},
			[]string{"inspect mysql", addr, "not trusted", "unknown authority", "set tls_ca_file"}},
		{"TLS required, not configured", Options{DSN: dbtest.MariaDBURL(addr, "velin", tlsPassword, "shop", "")},
			[]string{"inspect mysql", "velin@" + addr, "refused the login", "check the password", "requires TLS", "add tls=true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newSource(t, tc.opts).Inspect(ctx)
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

// TestTLSSettings: the tls parameter of both DSN forms, the tls_*
// files, and the same settings spelled for MariaDB's and MySQL's tools.
func TestTLSSettings(t *testing.T) {
	certs := dbtest.NewCerts(t)
	for in, want := range map[string]string{
		"mysql://u:pw@h/db?tls=true":                     tlsVerify,
		"mysql://u:pw@h/db?tls=skip-verify":              tlsSkip,
		"mysql://u:pw@h/db?tls=false":                    tlsOff,
		"u:pw@tcp(h:3306)/db?tls=true":                   tlsVerify,
		"u:p?w@tcp(h:3306)/db?parseTime=true&tls=1":      tlsVerify,
		"u:pw@tcp(h:3306)/db?tls=skip-verify&timeout=5s": tlsSkip,
		"u:pw@tcp(h:3306)/db":                            tlsOff,
	} {
		c, err := parseDSN(in)
		if err != nil || c.TLS != want || c.Addr != "h:3306" || c.DB != "db" {
			t.Errorf("parseDSN(%q) = %+v, %v; want tls %q", in, c, err, want)
		}
	}
	for _, bad := range []string{"mysql://u:hunter2@h/db?tls=preferred", "u:hunter2@tcp(h:3306)/db?tls=custom"} {
		if _, err := parseDSN(bad); err == nil || !strings.Contains(err.Error(), "not supported; use tls=true") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("parseDSN(%q): %v", bad, err)
		}
	}
	s := newSource(t, Options{DSN: "mysql://u:pw@h/db", TLSCAFile: certs.CA})
	maria, my := tool{Version: "10.11.19-MariaDB"}, tool{Version: "8.0.36"}
	if got := strings.Join(s.c.tlsArgs(maria), " "); got != "--ssl --ssl-verify-server-cert --ssl-ca="+certs.CA {
		t.Errorf("a tls_ca_file turns TLS on; MariaDB tool args %q", got)
	}
	if got := strings.Join(s.c.tlsArgs(my), " "); got != "--ssl-mode=VERIFY_IDENTITY --ssl-ca="+certs.CA {
		t.Errorf("MySQL tool args %q", got)
	}
	if got := newSource(t, Options{DSN: "mysql://u:pw@h/db?tls=skip-verify"}).c.tlsArgs(my); strings.Join(got, " ") != "--ssl-mode=REQUIRED" {
		t.Errorf("skip-verify, MySQL tool args %q", got)
	}
	if got := newSource(t, Options{DSN: "mysql://u:pw@h/db"}).c.tlsArgs(maria); got != nil {
		t.Errorf("no TLS, args %q", got)
	}
	for _, o := range []Options{{TLSCAFile: certs.Key}, {TLSCertFile: certs.Cert}, {TLSCAFile: "/nonexistent/ca.pem"}} {
		o.DSN = "mysql://u:pw@h/db"
		if _, err := New(o); err == nil || !strings.HasPrefix(err.Error(), "tls_") {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

// TestDecodeTLS: tls_* paths are relative to the configuration's
// directory, and an unusable file is a diagnostic on its argument.
func TestDecodeTLS(t *testing.T) {
	certs := dbtest.NewCerts(t)
	s, diags, _ := decode(t, "dsn = \"mysql://u:pw@h/db\"\ntls_ca_file = \""+certs.CA+"\"")
	if diags.HasErrors() || s.(*Source).c.TLS != tlsVerify || s.(*Source).c.Files.CA != certs.CA {
		t.Fatalf("%v %+v", diags, s)
	}
	for src, says := range map[string]string{
		`tls_ca_file = "ca.pem"`:                                                      "/plans/ca.pem",
		"tls_cert_file = \"" + certs.Cert + "\"":                                      "give both",
		"tls_ca_file = \"" + certs.Key + "\"":                                         "no PEM certificate",
		"tls_cert_file = \"" + certs.Cert + "\"\ntls_key_file = \"" + certs.CA + "\"": "with tls_key_file",
	} {
		_, diags, _ := decode(t, "dsn = \"mysql://u:hunter2@h/db\"\n"+src)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), says) || diags[0].Subject == nil || diags[0].Subject.Start.Line != 2 {
			t.Errorf("%s: %v", src, diags)
		}
	}
}
