package http

import (
	"bytes"
	"context"
	"errors"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/velinhq/velin/providers/provider"
)

func decode(t *testing.T, src string) (*Step, []string, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclparse.NewParser().ParseHCL([]byte(src), "test.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var secrets []string
	s, diags := Decode(f.Body, provider.DecodeContext{Dir: "/plans", Secret: func(v string) { secrets = append(secrets, v) }})
	if s == nil {
		return nil, secrets, diags
	}
	return s.(*Step), secrets, diags
}

func TestDecode(t *testing.T) {
	s, secrets, diags := decode(t, `
url = "https://ops:s3cret@hc.example/ping?x=1"
headers = { Authorization = "Bearer abc123", Accept = "text/plain" }
expect_status = [200, 204]
timeout = "5s"
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if s.Method != "POST" || s.Timeout != 5*time.Second || len(s.ExpectStatus) != 2 {
		t.Errorf("decoded %+v", s)
	}
	joined := strings.Join(secrets, ",")
	if !strings.Contains(joined, "s3cret") || !strings.Contains(joined, "Bearer abc123") || strings.Contains(joined, "text/plain") {
		t.Errorf("secrets %q", secrets)
	}
	if d := s.Describe(); strings.Contains(d, "s3cret") || !strings.HasPrefix(d, "POST https://ops:") {
		t.Errorf("describe %q", d)
	}
}

func TestDecodeMistakes(t *testing.T) {
	for _, bad := range []string{
		``,
		`url = "not a url"`,
		`url = "ftp://x/y"`,
		"url = \"http://x\"\nmethod = \"GE T\"",
		"url = \"http://x\"\nexpect_status = [99]",
		"url = \"http://x\"\ntimeout = \"0s\"",
		"url = \"http://x\"\nretries = 3",
	} {
		_, _, diags := decode(t, bad)
		if !diags.HasErrors() {
			t.Errorf("%q: no diagnostic", bad)
			continue
		}
		if s := diags[0].Subject; s == nil || s.Filename != "test.hcl" {
			t.Errorf("%q: diagnostic without a range: %v", bad, diags[0])
		}
	}
}

type received struct {
	method, body, auth string
}

func server(t *testing.T, status int, got chan<- received) *httptest.Server {
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- received{r.Method, string(b), r.Header.Get("Authorization")}
		w.WriteHeader(status)
		io.WriteString(w, "reply body")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRunSendsRequest(t *testing.T) {
	got := make(chan received, 1)
	srv := server(t, 204, got)
	body := `{"ok":true}`
	s := &Step{URL: srv.URL + "/hook", Method: "POST", Headers: map[string]string{"Authorization": "Bearer t"}, Body: &body, Timeout: time.Minute}
	var log bytes.Buffer
	if err := s.Run(context.Background(), provider.StepEnv{Log: &log}); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.method != "POST" || r.body != body || r.auth != "Bearer t" {
		t.Errorf("server received %+v", r)
	}
	if !strings.Contains(log.String(), "204") {
		t.Errorf("log %q does not show the status", log.String())
	}
}

func TestRunStatus(t *testing.T) {
	got := make(chan received, 2)
	srv := server(t, 404, got)
	s := &Step{URL: srv.URL, Method: "GET", Timeout: time.Minute}
	err := s.Run(context.Background(), provider.StepEnv{})
	if !errors.Is(err, ErrStatus) || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "reply body") {
		t.Errorf("error %v, want the 404 and the body", err)
	}
	s.ExpectStatus = []int{404}
	if err := s.Run(context.Background(), provider.StepEnv{}); err != nil {
		t.Errorf("expected 404 failed: %v", err)
	}
}

func TestRunTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	s := &Step{URL: srv.URL, Method: "POST", Timeout: 100 * time.Millisecond}
	err := s.Run(context.Background(), provider.StepEnv{})
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "timed out after 100ms") {
		t.Errorf("error %v, want a timeout", err)
	}
}

func TestRunErrorHidesPassword(t *testing.T) {
	s := &Step{URL: "http://user:hunter2@127.0.0.1:1/x", Method: "POST", Timeout: time.Minute}
	err := s.Run(context.Background(), provider.StepEnv{})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v: want a connection error without the password", err)
	}
}
