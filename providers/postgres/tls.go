package postgres

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// errSSLPassword refuses an encrypted client key: libpq takes its
// password only in a connection string, which would put it on pg_dump's
// command line.
var errSSLPassword = errors.New("dsn: sslpassword is not supported (pg_dump and psql could only get it on their command line, " +
	"which every local user can read); give sslkey an unencrypted key file that only velin's user can read (chmod 600)")

// tlsHint adds what to do to the TLS failures.
func tlsHint(err error, msg string) error {
	switch {
	case strings.Contains(msg, "pg_hba.conf") && strings.Contains(msg, "no encryption"):
		return fmt.Errorf("%w (the server accepts only TLS connections from here: add sslmode=verify-full and "+
			"sslrootcert=/path/to/ca.pem, the CA certificate that signed the server's, to dsn)", err)
	case strings.Contains(msg, "x509: certificate is valid for"):
		return fmt.Errorf("%w (the server's certificate does not name the host of dsn: connect by a name it holds, "+
			"or use sslmode=verify-ca to check the CA only)", err)
	case strings.Contains(msg, "x509:"), strings.Contains(msg, "tls: failed to verify"):
		return fmt.Errorf("%w (the server's certificate is not trusted: add sslrootcert=/path/to/ca.pem, "+
			"the CA certificate that signed it, to dsn)", err)
	case strings.Contains(msg, "server refused TLS"):
		return fmt.Errorf("%w (the server does not offer TLS: turn ssl on in its postgresql.conf, or change sslmode in dsn)", err)
	}
	return err
}

// defaultRootCert gives sslmode verify-ca and verify-full without
// sslrootcert the file libpq would use, so that pgx and the tools check
// the server against the same CAs: libpq reads ~/.postgresql/root.crt
// (and fails without it), pgx the system's CAs. The first wins when it
// exists, else the system bundle.
func defaultRootCert(params map[string]string) {
	if params["sslrootcert"] != "" || !strings.HasPrefix(params["sslmode"], "verify-") {
		return
	}
	// The system bundles of Debian, Red Hat, Alpine/BSD.
	candidates := []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append([]string{filepath.Join(home, ".postgresql", "root.crt")}, candidates...)
	}
	for _, p := range candidates {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			params["sslrootcert"] = p
			return
		}
	}
}
