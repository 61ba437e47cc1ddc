package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		method, target, header, want string
	}{
		{"GET", "/", "", "LIST buckets"},
		{"GET", "/b?list-type=2&prefix=data%2F", "", "LIST"},
		{"GET", "/b/?delimiter=%2F&max-keys=1000&prefix=", "", "LIST"},
		{"GET", "/b?location=", "", "GET ?location"},
		{"GET", "/b/data/ab/cd", "", "GET"},
		{"GET", "/b/data/ab/cd", "Range", "GET range"},
		{"GET", "/b/k?tagging", "", "GET ?tagging"},
		{"HEAD", "/b/k", "", "HEAD"},
		{"HEAD", "/b", "", "HEAD"},
		{"PUT", "/b", "", "PUT bucket"},
		{"PUT", "/b/k", "", "PUT"},
		{"PUT", "/b/k?partNumber=2&uploadId=x", "", "PUT part"},
		{"PUT", "/b/k?tagging", "", "PUT ?tagging"},
		{"POST", "/b/k?uploads", "", "POST multipart"},
		{"POST", "/b/k?uploadId=x", "", "POST multipart"},
		{"POST", "/b?delete", "", "POST ?delete"},
		{"DELETE", "/b/k", "", "DELETE"},
		{"DELETE", "/b/k?uploadId=x", "", "DELETE multipart"},
		{"DELETE", "/b", "", "DELETE bucket"},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.target, nil)
		if c.header != "" {
			r.Header.Set(c.header, "bytes=0-9")
		}
		if got := classify(r); got != c.want {
			t.Errorf("%s %s (header %q): got %q, want %q", c.method, c.target, c.header, got, c.want)
		}
	}
}

// TestCounterLogsEachRequest runs the counting handler in front of a fake
// server: one line per request with its operation, status and body sizes.
func TestCounterLogsEachRequest(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Write([]byte("0123456789")) //nolint:errcheck // test server
	}))
	defer backend.Close()
	logPath := filepath.Join(t.TempDir(), "req.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	u, _ := http.NewRequest(http.MethodGet, backend.URL, nil)
	proxy := httptest.NewServer(&counter{log: logf, next: newReverseProxy(u.URL)})
	defer proxy.Close()
	for _, req := range []struct{ method, path, body string }{
		{http.MethodPut, "/b/k", "abcdef"},
		{http.MethodHead, "/b/missing", ""},
		{http.MethodGet, "/b/k?prefix=p/&x-amz-signature=secret", ""},
	} {
		r, _ := http.NewRequest(req.method, proxy.URL+req.path, strings.NewReader(req.body))
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// A line is written once the handler returns, which may be after the
	// client has the whole response: Close waits for every handler, and
	// the lines are compared in any order.
	proxy.Close()
	got, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"PUT\t200\t6\t10\t/b/k", "HEAD\t404\t0\t0\t/b/missing", "GET\t200\t0\t10\t/b/k?prefix=p/"}
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	slices.Sort(lines)
	slices.Sort(want)
	if !slices.Equal(lines, want) {
		t.Errorf("log lines (sorted):\n%q\nwant\n%q", lines, want)
	}
}

// TestFillMix: the class shares are exact per 1,000 objects, sizes stay
// in their class, and the contents are the same for the same seed.
func TestFillMix(t *testing.T) {
	buckets := []string{"a", "b", "c"}
	var count [nClasses]int
	mix := classes()
	for i := range 2000 {
		s := objectSpec(7, i, buckets)
		count[s.class]++
		if c := mix[s.class]; s.size < c.min || s.size > c.max {
			t.Fatalf("object %d: size %d outside %s [%d, %d]", i, s.size, c.name, c.min, c.max)
		}
	}
	if count != [nClasses]int{1800, 180, 18, 2} {
		t.Errorf("class counts %v, want [1800 180 18 2]", count)
	}
	s := objectSpec(7, 3, buckets)
	a, b := content(7, 3, s), content(7, 3, s)
	if int64(len(a)) != s.size || string(a) != string(b) {
		t.Errorf("content of object 3: %d bytes (want %d), deterministic %v", len(a), s.size, string(a) == string(b))
	}
}
