package bucket

import (
	"slices"
	"testing"
)

// TestRecoverFromIdentity: a manifest's identity gives back a source of
// the same buckets, endpoint or region; anything else is refused.
func TestRecoverFromIdentity(t *testing.T) {
	for _, o := range []Options{
		{Endpoint: "http://127.0.0.1:9000", Buckets: []string{"templates", "user data"}},
		{Region: "eu-central-1", Buckets: []string{"acme"}},
		{Buckets: []string{"*"}},
	} {
		s, err := Recover(identity(o))
		if err != nil {
			t.Fatalf("recover %q: %v", identity(o), err)
		}
		if s.identity != identity(o) || !slices.Equal(s.opts.Buckets, o.Buckets) || s.opts.Mode != ModeReplace {
			t.Errorf("recover %q: identity %q, buckets %q, mode %q", identity(o), s.identity, s.opts.Buckets, s.opts.Mode)
		}
		if s.opts.PathStyle != (o.Endpoint != "") {
			t.Errorf("recover %q: path style %v", identity(o), s.opts.PathStyle)
		}
	}
	for _, bad := range []string{"/srv/files", "s3:a,b", "s3: at http://x", "s3:a/b at http://x", "s3:a at ftp://x"} {
		if _, err := Recover(bad); err == nil {
			t.Errorf("recover %q: no error", bad)
		}
	}
}
