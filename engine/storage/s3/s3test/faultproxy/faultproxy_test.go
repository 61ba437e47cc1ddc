package faultproxy_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/velinhq/velin/engine/storage/s3/s3test/faultproxy"
)

var body = bytes.Repeat([]byte("0123456789"), 10_000)

// backend serves body to GET and counts the requests that reach it.
func backend(t *testing.T) (*httptest.Server, *int) {
	var reached int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Length", "100000")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &reached
}

func get(url string) ([]byte, int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}

func TestTruncatedBodyIsAnError(t *testing.T) {
	srv, _ := backend(t)
	p := faultproxy.Start(t, srv.URL, 1, faultproxy.Rates{Truncate: 1})
	for i := 0; i < 20; i++ {
		b, _, err := get(p.URL + "/x")
		if !errors.Is(err, io.ErrUnexpectedEOF) || len(b) >= len(body) {
			t.Fatalf("truncated GET: %d of %d bytes, error %v; want fewer bytes and io.ErrUnexpectedEOF", len(b), len(body), err)
		}
	}
	if p.Count(faultproxy.Truncate) != 20 {
		t.Errorf("summary: %s", p.Summary())
	}
}

func TestResetsAndErrorsDoNotReachTheServer(t *testing.T) {
	for _, c := range []struct {
		rates  faultproxy.Rates
		status int
	}{
		{faultproxy.Rates{ResetBefore: 1}, 0},
		{faultproxy.Rates{ResetAfter: 1}, 0},
		{faultproxy.Rates{Internal: 1}, 500},
		{faultproxy.Rates{SlowDown: 1}, 503},
	} {
		srv, reached := backend(t)
		p := faultproxy.Start(t, srv.URL, 2, c.rates)
		_, status, err := get(p.URL + "/x")
		if c.status == 0 && err == nil {
			t.Errorf("%+v: no connection error (status %d)", c.rates, status)
		}
		if c.status != 0 && status != c.status {
			t.Errorf("%+v: status %d, %v; want %d", c.rates, status, err, c.status)
		}
		if *reached != 0 {
			t.Errorf("%+v: a failed request reached the server", c.rates)
		}
	}
}

func TestFailAfter(t *testing.T) {
	srv, _ := backend(t)
	p := faultproxy.Start(t, srv.URL, 3, faultproxy.Rates{FailAfter: 3})
	for i := 1; i <= 5; i++ {
		b, status, err := get(p.URL + "/x")
		want := http.StatusOK
		if i > 3 {
			want = http.StatusForbidden
		}
		if err != nil || status != want {
			t.Fatalf("request %d: %d, %v; want %d", i, status, err, want)
		}
		if want == http.StatusForbidden && !strings.Contains(string(b), "AccessDenied") {
			t.Errorf("request %d: body %q lacks AccessDenied", i, b)
		}
	}
}

// TestSeedReplays checks that one seed gives one sequence of faults and
// that Moderate faults some requests but not most.
func TestSeedReplays(t *testing.T) {
	srv, _ := backend(t)
	sequence := func(seed uint64) string {
		p := faultproxy.Start(t, srv.URL, seed, faultproxy.Moderate())
		var s strings.Builder
		for i := 0; i < 200; i++ {
			_, status, err := get(p.URL + "/x")
			s.WriteString(outcome(status, err))
		}
		if f := p.Faulted(); f < 10 || f > 80 {
			t.Errorf("seed %d: %s; want 10 to 80 faults", seed, p.Summary())
		}
		return s.String()
	}
	a, b, c := sequence(42), sequence(42), sequence(43)
	if a != b {
		t.Errorf("seed 42 gave two sequences:\n%s\n%s", a, b)
	}
	if a == c {
		t.Error("seeds 42 and 43 gave the same sequence")
	}
}

func outcome(status int, err error) string {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "t"
	case err != nil:
		return "r"
	case status == 200:
		return "."
	}
	return http.StatusText(status)[:1]
}

// TestAtLeastEvery checks that a rate too low to fault a short run still
// faults one request in every AtLeastEvery, whatever the seed, and that a
// forced fault on a PUT is never a truncated body.
func TestAtLeastEvery(t *testing.T) {
	srv, _ := backend(t)
	for seed := uint64(1); seed <= 3; seed++ {
		p := faultproxy.Start(t, srv.URL, seed, faultproxy.Rates{SlowDown: 1e-9, Truncate: 1e-9, AtLeastEvery: 4})
		var quiet int
		for i := 0; i < 40; i++ {
			req, _ := http.NewRequest(http.MethodPut, p.URL+"/x", strings.NewReader("body"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if quiet++; resp.StatusCode != http.StatusOK {
				quiet = 0
			}
			if quiet >= 4 {
				t.Fatalf("seed %d: request %d is the 4th in a row without a fault: %s", seed, i+1, p.Summary())
			}
		}
		if p.Count(faultproxy.SlowDown) != 10 || p.Count(faultproxy.Truncate) != 0 {
			t.Errorf("seed %d: %s; want 10 503 SlowDown and no truncated body", seed, p.Summary())
		}
	}
}
