package daemon

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCheckListen(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:9810", "[::1]:9810", "localhost:0", "127.1.2.3:80"} {
		if err := CheckListen(addr, false); err != nil {
			t.Errorf("CheckListen(%s) = %v", addr, err)
		}
	}
	for _, addr := range []string{"0.0.0.0:9810", ":9810", "192.0.2.1:9810", "example.com:80"} {
		if err := CheckListen(addr, false); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("CheckListen(%s) = %v, want ErrNotLoopback", addr, err)
		}
		if err := CheckListen(addr, true); err != nil {
			t.Errorf("CheckListen(%s, allowed) = %v", addr, err)
		}
	}
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func TestHealthAndMetrics(t *testing.T) {
	m := NewMetrics()
	h := newHarness(t, "", Options{Metrics: m})
	srv := Handler(h.s, m)
	h.start(job(t, "db", "every 1h"))
	h.waitIdle()
	if code, body := get(t, srv, "/healthz"); code != 200 || !strings.Contains(body, "no run finished yet") {
		t.Fatalf("healthz before any run: %d %s", code, body)
	}
	h.clock.Set(t0.Add(time.Hour))
	h.wantRun("db")
	h.finishRun(nil)
	h.waitIdle()
	h.waitIdle()
	if code, body := get(t, srv, "/healthz"); code != 200 || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("healthz after a success: %d %s", code, body)
	}
	h.clock.Set(t0.Add(time.Hour + 89*time.Minute)) // within 1.5x: the 12:00 run is going
	h.wantRun("db")
	if code, _ := get(t, srv, "/healthz"); code != 200 {
		t.Fatalf("healthz 89 min after a success: %d, want 200", code)
	}
	h.finishRun(errors.New("disk full"))
	h.waitIdle()
	h.waitIdle()
	if code, body := get(t, srv, "/healthz"); code != 503 || !strings.Contains(body, "disk full") {
		t.Fatalf("healthz after a failure: %d %s", code, body)
	}
	_, metrics := get(t, srv, "/metrics")
	for _, want := range []string{
		`velin_backup_runs_total{backup="db",result="ok"} 1`,
		`velin_backup_runs_total{backup="db",result="failed"} 1`,
		`velin_backup_snapshots_total{backup="db"} 2`,
		`velin_backup_last_success_timestamp_seconds{backup="db"}`,
		"process_resident_memory_bytes",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	h.shutdown()
}

func TestHealthLate(t *testing.T) {
	h := newHarness(t, "", Options{})
	h.start(job(t, "db", "every 1h"))
	h.waitIdle()
	h.clock.Set(t0.Add(time.Hour))
	h.wantRun("db")
	h.finishRun(nil)
	h.waitIdle()
	h.waitIdle()
	h.shutdown() // stops scheduling: the clock can move past the next runs
	h.clock.Set(t0.Add(time.Hour + 91*time.Minute))
	if ok, b := h.s.Health(); ok {
		t.Fatalf("healthy 91 min after the last success of an hourly backup: %+v", b)
	}
}
