package dbtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"os"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

func caPool(t *testing.T, c Certs) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(c.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in", c.CA)
	}
	return pool
}

func TestPostgresTLS(t *testing.T) {
	certs := NewCerts(t)
	dsn := PostgresTLS(t, "Tls-pw", certs)
	cert, key := certs.Client(t, "postgres")
	tlsq := "?sslmode=verify-full&sslrootcert=" + certs.CA + "&sslcert=" + cert + "&sslkey=" + key
	if _, err := pgx.Connect(context.Background(), dsn+"?sslmode=verify-full&sslrootcert="+certs.CA); err == nil ||
		!strings.Contains(err.Error(), "certificate") {
		t.Fatalf("no client certificate: %v", err)
	}
	conn, err := pgx.Connect(context.Background(), dsn+tlsq)
	if err != nil {
		t.Fatalf("connect verify-full: %v", err)
	}
	defer conn.Close(context.Background())
	var ssl bool
	if err := conn.QueryRow(context.Background(), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl); err != nil || !ssl {
		t.Fatalf("pg_stat_ssl.ssl = %v, %v", ssl, err)
	}
	if _, err := pgx.Connect(context.Background(), dsn+"?sslmode=disable"); err == nil || !strings.Contains(err.Error(), "no encryption") {
		t.Fatalf("a plain connection: %v", err)
	}
	other := NewCerts(t)
	if _, err := pgx.Connect(context.Background(), dsn+"?sslmode=verify-full&sslrootcert="+other.CA); err == nil || !strings.Contains(err.Error(), "unknown authority") {
		t.Fatalf("another CA: %v", err)
	}
}

func TestRedisTLS(t *testing.T) {
	certs := NewCerts(t)
	addr := RedisTLS(t, certs, "Tls-pw", false)
	c := redis.NewClient(&redis.Options{Addr: addr, Password: "Tls-pw",
		TLSConfig: &tls.Config{RootCAs: caPool(t, certs), ServerName: "127.0.0.1"}})
	defer c.Close()
	if err := c.Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatalf("over TLS: %v", err)
	}
	plain := redis.NewClient(&redis.Options{Addr: addr, Password: "Tls-pw", MaxRetries: -1})
	defer plain.Close()
	if err := plain.Ping(context.Background()).Err(); err == nil {
		t.Fatal("a plain connection works")
	}
}

func TestMariaDBTLS(t *testing.T) {
	certs := NewCerts(t)
	addr := MariaDBTLS(t, certs, "Tls-pw")
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = "velin", "Tls-pw", "tcp", addr
	cfg.TLS = &tls.Config{RootCAs: caPool(t, certs), ServerName: "127.0.0.1"}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	var cipher, name string
	if err := db.QueryRow("SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil || cipher == "" {
		t.Fatalf("Ssl_cipher = %q, %v", cipher, err)
	}
	cfg.TLS = nil
	conn, _ = mysql.NewConnector(cfg)
	plain := sql.OpenDB(conn)
	defer plain.Close()
	// MariaDB 10.11 refuses an insecure connection as "Access denied"
	// (its log says no more), although the password is right.
	if err := plain.Ping(); err == nil || !strings.Contains(err.Error(), "Access denied") {
		t.Fatalf("a plain connection: %v", err)
	}
}
