package redis

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

const tlsPassword = "Tls-s3cret-pw"

// tlsClient is a test's own connection to db of a TLS server (not the
// code under test), with the CA and client certificate of certs.
func tlsClient(t *testing.T, addr string, certs dbtest.Certs, db int) *goredis.Client {
	t.Helper()
	pem, err := os.ReadFile(certs.CA)
	must(t, err)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cert, key := certs.Client(t, "test")
	pair, err := tls.LoadX509KeyPair(cert, key)
	must(t, err)
	return connect(t, &goredis.Options{Addr: addr, Password: tlsPassword, DB: db,
		TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", Certificates: []tls.Certificate{pair}}})
}

// tlsSource decodes a source block for addr with extra arguments.
func tlsSource(t *testing.T, addr, extra string) (*Source, error) {
	t.Helper()
	s, _, diags := decode(t, fmt.Sprintf("addr = %q\npassword = %q\ndb = 0\n%s", addr, tlsPassword, extra))
	if diags.HasErrors() {
		return nil, diags
	}
	return s, nil
}

// TestTLS: backup, restore and test restore through a server that
// accepts TLS with a client certificate only, and plan errors that say
// how to fix each TLS mistake.
func TestTLS(t *testing.T) {
	certs := dbtest.NewCerts(t)
	addr := dbtest.RedisTLS(t, certs, tlsPassword, true)
	cert, key := certs.Client(t, "velin")
	args := fmt.Sprintf("tls = true\ntls_ca_file = %q\ntls_cert_file = %q\ntls_key_file = %q\n", certs.CA, cert, key)
	c := tlsClient(t, addr, certs, 0)
	ctx := context.Background()
	must(t, c.Set(ctx, "a", "1", 0).Err())
	must(t, c.HSet(ctx, "h", "f", "v").Err())
	t.Run("round trip", func(t *testing.T) {
		s, err := tlsSource(t, addr, args+"flush = true\n")
		must(t, err)
		if _, err := s.Inspect(ctx); err != nil {
			t.Fatalf("inspect: %v", err)
		}
		snap := sourcetest.NewMemSnapshot(nil)
		if _, err := s.Backup(ctx, snap, provider.BackupOptions{}); err != nil {
			t.Fatalf("backup: %v", err)
		}
		tree := snap.Finish()
		want := capture(t, c)
		must(t, c.Del(ctx, "a").Err())
		must(t, c.Set(ctx, "after", "x", 0).Err())
		if err := s.Restore(ctx, tree, provider.RestoreOptions{}); err != nil {
			t.Fatalf("restore: %v", err)
		}
		compare(t, capture(t, c), want)
		rep, err := s.TestRestore(ctx, tree, provider.TestRestoreOptions{ID: "tls1",
			Asserts: []provider.Assert{{Name: "h", Keys: "h", MinCount: 1}}})
		if err != nil || len(rep.Failed()) > 0 {
			t.Fatalf("test restore: %v %+v", err, rep.Failed())
		}
	})
	other := dbtest.NewCerts(t)
	for _, tc := range []struct {
		name, args string
		want       []string
	}{
		{"untrusted server certificate", fmt.Sprintf("tls_ca_file = %q\ntls_cert_file = %q\ntls_key_file = %q\n", other.CA, cert, key),
			[]string{"inspect redis rediss://" + addr, "not trusted", "unknown authority", "set tls_ca_file"}},
		{"certificate for another name", args + "tls_server_name = \"db.example\"\n",
			[]string{"inspect redis", "does not name", "set tls_server_name"}},
		{"no client certificate", fmt.Sprintf("tls_ca_file = %q\n", certs.CA),
			[]string{"inspect redis", "wants client certificates", "set tls_cert_file and tls_key_file"}},
		{"TLS required, not configured", "",
			[]string{"inspect redis redis://" + addr, "closed the connection", "set tls = true and tls_ca_file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tlsSource(t, addr, tc.args)
			must(t, err)
			_, err = s.Inspect(ctx)
			wantErr(t, err, tc.want...)
			if strings.Contains(err.Error(), tlsPassword) {
				t.Errorf("error quotes the password: %v", err)
			}
		})
	}
}

// TestDecodeTLS: the tls_* arguments turn TLS on, relative paths are
// relative to the configuration, and unusable files are diagnostics on
// their argument.
func TestDecodeTLS(t *testing.T) {
	certs := dbtest.NewCerts(t)
	s, _, diags := decode(t, fmt.Sprintf("addr = \"h:6380\"\ntls_ca_file = %q\ntls_server_name = \"redis.internal\"", certs.CA))
	if diags.HasErrors() || !s.srv.TLS || s.srv.TLSOpts.ServerName != "redis.internal" || s.identity() != "rediss://h:6380" {
		t.Fatalf("%v: %+v %s", diags, s, s.identity())
	}
	for _, c := range []struct{ src, arg, says string }{
		{`tls_ca_file = "ca.pem"`, "tls_ca_file", "/plans/ca.pem"},
		{fmt.Sprintf("tls_ca_file = %q", certs.Key), "tls_ca_file", "no PEM certificate"},
		{fmt.Sprintf("tls_cert_file = %q", certs.Cert), "tls_cert_file", "give both"},
		{fmt.Sprintf("tls_cert_file = %q\ntls_key_file = %q", certs.Cert, certs.CA), "tls_cert_file", "tls_key_file"},
	} {
		_, _, diags := decode(t, "addr = \"h:6380\"\n"+c.src)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), c.arg) || !strings.Contains(diags.Error(), c.says) ||
			diags[0].Subject == nil || diags[0].Subject.Start.Line != 2 {
			t.Errorf("%s: %v", c.src, diags)
		}
	}
}
