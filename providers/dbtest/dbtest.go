package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"
)

// env returns the variable's value, or def when it is unset.
func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// unavailable skips t, or fails it under CI=true, because a server is down.
func unavailable(t testing.TB, server, variable, start string, err error) {
	t.Helper()
	msg := server + " is not reachable (" + err.Error() + "); set " + variable +
		" to a server where this test may create databases, or start one: " + start
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: a missing server is a failure; .ci/run starts it)")
	}
	t.Skip(msg)
}

// missing skips t, or fails it under CI=true, because a server binary a
// throwaway server needs is not installed.
func missing(t testing.TB, what, variable, install string, err error) {
	t.Helper()
	msg := what + " is not installed (" + err.Error() + "); install it (" + install + ") or set " +
		variable + " to its path"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: a missing server is a failure)")
	}
	t.Skip(msg)
}

// Name returns a fresh database name for t: lowercase, [a-z0-9_], at most
// 48 bytes, prefixed "velin_t_" so that leftovers are recognisable.
func Name(t testing.TB) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	base := b.String()
	if len(base) > 28 {
		base = base[len(base)-28:]
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	return "velin_t_" + strings.Trim(base, "_") + "_" + hex.EncodeToString(rnd[:])
}

// ctx is a context for setup and cleanup statements.
func ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}
