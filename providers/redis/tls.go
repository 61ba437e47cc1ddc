package redis

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hashicorp/hcl/v2"

	"github.com/velinhq/velin/providers/provider"
)

// TLS is how a Server checks and answers TLS (when Server.TLS is on).
// Empty fields take Go's defaults: the system's CAs, the host of Addr,
// no client certificate.
type TLS struct {
	CAFile     string // PEM CA certificates the server's certificate must chain to
	CertFile   string // PEM client certificate, for servers that want one (tls-auth-clients)
	KeyFile    string // its PEM private key
	ServerName string // the name the server's certificate must hold
}

// argError is a TLS setting that cannot be used, naming its argument.
type argError struct {
	arg string
	err error
}

func (e *argError) Error() string { return e.arg + ": " + e.err.Error() }
func (e *argError) Unwrap() error { return e.err }

// config builds the tls.Config of a connection to addr, reading the
// files. Its errors are *argError.
func (t TLS) config(addr string) (*tls.Config, error) {
	host, _, _ := net.SplitHostPort(addr)
	c := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if t.ServerName != "" {
		c.ServerName = t.ServerName
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, &argError{"tls_ca_file", err}
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, &argError{"tls_ca_file", fmt.Errorf("%s holds no PEM certificate", t.CAFile)}
		}
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, &argError{"tls_cert_file", errors.New("tls_cert_file and tls_key_file go together: give both, or neither")}
	}
	if t.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, &argError{"tls_cert_file", fmt.Errorf("with tls_key_file: %w", err)}
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c, nil
}

// failingDialer reports err at the first command of a client whose TLS
// settings cannot be used (Decode has already refused them, so this is a
// file that changed since).
func failingDialer(err error) func(context.Context, string, string) (net.Conn, error) {
	return func(context.Context, string, string) (net.Conn, error) { return nil, err }
}

// decodeTLS reads the tls_* arguments into srv (relative paths are
// relative to the configuration's directory); any of them turns TLS on.
// The files are read once here, so that a missing or bad one is an
// error of `velin validate`, pointing at its argument.
func decodeTLS(body hcl.Body, cfg config, dir string, srv *Server) *hcl.Diagnostic {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	srv.TLSOpts = TLS{CAFile: abs(cfg.TLSCAFile), CertFile: abs(cfg.TLSCertFile), KeyFile: abs(cfg.TLSKeyFile),
		ServerName: cfg.TLSServerName}
	if srv.TLSOpts != (TLS{}) {
		srv.TLS = true
	}
	if !srv.TLS {
		return nil
	}
	if _, err := srv.TLSOpts.config(srv.Addr); err != nil {
		var ae *argError
		errors.As(err, &ae)
		return provider.AttrDiag(body, ae.arg, "Invalid "+ae.arg, err.Error()+".")
	}
	return nil
}

// closedAtOnce tells whether err is a connection the peer closed: a reset,
// an end of stream, or a write into a socket it already closed.
func closedAtOnce(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE)
}

// explainTLS says what to do about a connection that failed for a TLS
// reason, or returns nil.
func explainTLS(srv Server, err error) error {
	msg := firstLine(err.Error())
	switch {
	case strings.Contains(msg, "x509: certificate is valid for"):
		return fmt.Errorf("the certificate of %s does not name the host of addr (%s): set tls_server_name to a name it holds", srv.Addr, msg)
	case strings.Contains(msg, "x509:") || strings.Contains(msg, "tls: failed to verify"):
		return fmt.Errorf("the certificate of %s is not trusted (%s): set tls_ca_file to the CA certificate that signed it", srv.Addr, msg)
	case strings.Contains(msg, "certificate required") || strings.Contains(msg, "bad certificate"):
		return fmt.Errorf("%s wants client certificates (%s): set tls_cert_file and tls_key_file", srv.Addr, msg)
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		return fmt.Errorf("%s does not speak TLS (%s): set tls = false, or give addr the server's tls-port", srv.Addr, msg)
	case !closedAtOnce(err):
		return nil
	case !srv.TLS:
		return fmt.Errorf("%s closed the connection at once (%s): if it accepts TLS only (tls-port), set tls = true and tls_ca_file", srv.Addr, msg)
	case srv.TLSOpts.CertFile == "":
		// TLS 1.3: the server checks the client's certificate after the
		// handshake, so its refusal arrives as a reset of the first write.
		return fmt.Errorf("%s closed the TLS connection at once (%s): if it wants client certificates (tls-auth-clients yes, Redis's default), "+
			"set tls_cert_file and tls_key_file", srv.Addr, msg)
	}
	return nil
}
