package bucket

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

// TestServerVersionMinIO: against the test MinIO (root credentials),
// plan facts and a backup's facts name the server and its release.
func TestServerVersionMinIO(t *testing.T) {
	f := newFixture(t, ModeReplace)
	f.put(t, f.buckets[0], "a.txt", []byte("a"))
	facts, err := f.src.Inspect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v, ok := strings.CutPrefix(facts.ServerVersion, "MinIO ")
	if !ok || v == "" {
		t.Errorf("Inspect: server_version %q, want \"MinIO <release>\"", facts.ServerVersion)
	}
	snap := sourcetest.NewMemSnapshot(nil)
	bf, err := f.src.Backup(context.Background(), snap, provider.BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bf.ServerVersion != facts.ServerVersion {
		t.Errorf("Backup: server_version %q, Inspect said %q", bf.ServerVersion, facts.ServerVersion)
	}
}

// fakeServer answers HeadBucket with the Server header name and MinIO's
// admin info with status admin (and a version when 200); it counts admin
// requests.
func fakeServer(t *testing.T, name string, admin int, version string) (*Source, *atomic.Int32) {
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/minio/admin/v3/info":
			asked.Add(1)
			if r.Header.Get("Authorization") == "" || !strings.Contains(r.Header.Get("Authorization"), "AKFAKE") {
				t.Errorf("admin request not signed: %q", r.Header.Get("Authorization"))
			}
			w.WriteHeader(admin)
			if admin == http.StatusOK {
				w.Write([]byte(`{"mode":"online","servers":[{"state":"online","version":"` + version + `"}]}`))
			}
		case r.Method == http.MethodHead:
			w.Header().Set("Server", name)
		default:
			w.WriteHeader(http.StatusNotImplemented)
		}
	}))
	t.Cleanup(srv.Close)
	s, err := New(context.Background(), Options{Endpoint: srv.URL, PathStyle: true, AccessKey: "AKFAKE",
		SecretKey: "secret-fake-key", Buckets: []string{"b"}})
	if err != nil {
		t.Fatal(err)
	}
	return s, &asked
}

func TestServerVersionFromHeaders(t *testing.T) {
	cases := []struct {
		name, server string
		admin        int
		version      string
		want         string
		adminAsked   int32
	}{
		{"minio with admin rights", "MinIO", 200, "RELEASE.2025-04-22T22-12-26Z", "MinIO RELEASE.2025-04-22T22-12-26Z", 1},
		{"minio without admin rights", "MinIO", 403, "", "MinIO", 1},
		{"minio answering garbage", "MinIO", 200, "bad\x1b[31m", "MinIO", 1},
		{"aws", "AmazonS3", 200, "x", "AmazonS3", 0},
		{"silent server", "", 200, "x", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, asked := fakeServer(t, c.server, c.admin, c.version)
			if got := s.serverVersion(context.Background(), "b"); got != c.want {
				t.Errorf("server version %q, want %q", got, c.want)
			}
			if n := asked.Load(); n != c.adminAsked {
				t.Errorf("admin API asked %d times, want %d", n, c.adminAsked)
			}
		})
	}
}
