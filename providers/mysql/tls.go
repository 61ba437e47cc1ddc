package mysql

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// TLS modes of a conn, from the DSN's tls parameter.
const (
	tlsOff    = ""            // no tls parameter (or tls=false)
	tlsVerify = "true"        // TLS; the server's certificate and host name checked
	tlsSkip   = "skip-verify" // TLS, nothing checked
)

// tlsFiles are the tls_* arguments: PEM files, paths never secret.
type tlsFiles struct {
	CA   string // CA certificate(s) the server's certificate must chain to
	Cert string // client certificate, for accounts that REQUIRE X509
	Key  string // its private key
}

// tlsMode reads a tls parameter's value: true/1, skip-verify, false/0.
// preferred (fall back to plain text) is refused: velin and its dump
// tool must connect the same way, and a dump tool cannot fall back.
func tlsMode(v string) (string, error) {
	switch strings.ToLower(v) {
	case "true", "1":
		return tlsVerify, nil
	case "false", "0", "":
		return tlsOff, nil
	case "skip-verify":
		return tlsSkip, nil
	}
	return "", fmt.Errorf("dsn: tls=%s is not supported; use tls=true (the server's certificate checked; "+
		"tls_ca_file for a private CA), tls=skip-verify (encrypted, not checked) or tls=false", url.QueryEscape(v))
}

// cutTLSParam takes the tls parameter out of a driver-form DSN (whose
// parameters follow the first "?" after the last "/"), because the
// driver reads any other value as the name of a registered config.
func cutTLSParam(s string) (string, string) {
	slash := strings.LastIndex(s, "/")
	q := strings.Index(s[slash+1:], "?")
	if slash < 0 || q < 0 {
		return s, ""
	}
	head, params := s[:slash+1+q], strings.Split(s[slash+2+q:], "&")
	var keep []string
	value := ""
	for _, p := range params {
		if k, v, _ := strings.Cut(p, "="); k == "tls" {
			value, _ = url.QueryUnescape(v)
			continue
		}
		keep = append(keep, p)
	}
	if len(keep) == 0 {
		return head, value
	}
	return head + "?" + strings.Join(keep, "&"), value
}

// tlsConfig is the driver's TLS configuration; nil when TLS is off. Its
// errors name the argument whose file cannot be used.
func (c conn) tlsConfig() (*tls.Config, error) {
	if c.TLS == tlsOff {
		return nil, nil
	}
	host, _, _ := net.SplitHostPort(c.Addr)
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.TLS == tlsSkip}
	if c.Files.CA != "" {
		pem, err := os.ReadFile(c.Files.CA)
		if err != nil {
			return nil, fmt.Errorf("tls_ca_file: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls_ca_file: %s holds no PEM certificate", c.Files.CA)
		}
	}
	if (c.Files.Cert == "") != (c.Files.Key == "") {
		return nil, errors.New("tls_cert_file: tls_cert_file and tls_key_file go together; give both, or neither")
	}
	if c.Files.Cert != "" {
		pair, err := tls.LoadX509KeyPair(c.Files.Cert, c.Files.Key)
		if err != nil {
			return nil, fmt.Errorf("tls_cert_file: with tls_key_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// tlsArgs are the client program's options for the same TLS as velin's
// own connection: MariaDB's (--ssl…) or MySQL's (--ssl-mode…) spelling,
// by the program's version.
func (c conn) tlsArgs(t tool) []string {
	if c.TLS == tlsOff {
		return nil
	}
	mariadb := strings.Contains(t.Version, "MariaDB")
	var out []string
	switch {
	case mariadb && c.TLS == tlsVerify:
		out = []string{"--ssl", "--ssl-verify-server-cert"}
	case mariadb:
		out = []string{"--ssl"}
	case c.TLS == tlsVerify:
		out = []string{"--ssl-mode=VERIFY_IDENTITY"}
	default:
		out = []string{"--ssl-mode=REQUIRED"}
	}
	if c.Files.CA != "" {
		out = append(out, "--ssl-ca="+c.Files.CA)
	}
	if c.Files.Cert != "" {
		out = append(out, "--ssl-cert="+c.Files.Cert, "--ssl-key="+c.Files.Key)
	}
	return out
}

// explainTLS says what to do about a connection that failed for a TLS
// reason, or returns nil.
func (c conn) explainTLS(err error) error {
	msg := err.Error()
	var me *mysql.MySQLError
	switch {
	case strings.Contains(msg, "x509: certificate is valid for"):
		return fmt.Errorf("the certificate of %s does not name the host of the dsn (%v): connect by a name it holds", c.Addr, err)
	case strings.Contains(msg, "x509:") || strings.Contains(msg, "tls: failed to verify"):
		return fmt.Errorf("the certificate of %s is not trusted (%v): set tls_ca_file to the CA certificate that signed it", c.Addr, err)
	case errors.Is(err, mysql.ErrNoTLS):
		return fmt.Errorf("%s does not offer TLS (%v): remove tls from the dsn, or give the server a certificate (ssl_cert, ssl_key)", c.Addr, err)
	case errors.As(err, &me) && me.Number == 3159: // MySQL: insecure transport prohibited
		return fmt.Errorf("%s requires TLS (%s): %s: %w", c.where(), me.Message, addTLS, ErrAuth)
	}
	return nil
}

// addTLS is the fix for a server that requires TLS.
const addTLS = "add tls=true to the dsn (and tls_ca_file for a private CA)"

// tlsLoginHint is added to a refused login when TLS is off: MariaDB
// refuses a plain connection to a server or account that requires TLS
// as "Access denied", like a wrong password.
func (c conn) tlsLoginHint() string {
	if c.TLS != tlsOff {
		return ""
	}
	return "; if the server requires TLS (require_secure_transport, or an account with REQUIRE SSL), " + addTLS
}
