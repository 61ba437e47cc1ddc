package redis

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
)

// TestExplainClosedConnection checks that every way a server's early close
// reaches the client (reset, end of stream, broken pipe on a write) gets
// the client-certificate hint, and that other errors get none.
func TestExplainClosedConnection(t *testing.T) {
	srv := Server{Addr: "127.0.0.1:6380", TLS: true}
	for _, cause := range []error{syscall.ECONNRESET, io.EOF, syscall.EPIPE} {
		err := fmt.Errorf("write tcp 127.0.0.1:1->127.0.0.1:6380: %w", cause)
		got := explainTLS(srv, err)
		if got == nil || !strings.Contains(got.Error(), "tls_cert_file") {
			t.Errorf("%v: %v, want the client-certificate hint", cause, got)
		}
	}
	if got := explainTLS(srv, errors.New("dial tcp: connection refused")); got != nil {
		t.Errorf("a refused dial got a TLS hint: %v", got)
	}
}
