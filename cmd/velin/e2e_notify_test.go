package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// hookToken and hookSecret are a webhook URL's token and its HMAC key:
// neither may appear in velin's output.
const hookToken, hookSecret = "e2e-hook-token-0a1b2c3d", "e2e-hmac-secret-4e5f6a7b"

const notifyPlanE2E = `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "files" "site" {
  paths = ["./site"]
}
# The plan sees ./doomed; a step removes it before the source runs.
source "files" "gone" {
  paths = ["./doomed"]
}
step "exec" "remove" {
  command = ["rm", "-rf", "./doomed"]
}
notify "webhook" "ops" {
  url    = env("HOOK_URL")
  secret = env("HOOK_SECRET")
}
backup "nightly" {
  sources = [source.files.gone]
  target  = target.local.disk
  before  = [step.exec.remove]
  notify  = [notify.webhook.ops]
}
backup "fine" {
  sources = [source.files.site]
  target  = target.local.disk
  notify  = [notify.webhook.ops]
}
`

// hookReceiver is a local webhook endpoint that records the bodies whose
// signature checks out with hookSecret, and counts the others.
type hookReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	messages []map[string]any
	badSig   int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(hookSecret))
		mac.Write(body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if r.URL.Path != "/"+hookToken || r.Header.Get("X-Velin-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			h.badSig++
			w.WriteHeader(http.StatusForbidden)
			return
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Error(err)
		}
		h.messages = append(h.messages, m)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) got() ([]map[string]any, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.messages...), h.badSig
}

func notifyProject(t *testing.T, url string) *project {
	p := newProject(t, notifyPlanE2E)
	p.write("site/a.txt", "a")
	p.write("doomed/b.txt", "b")
	p.env = append(p.env, "HOOK_URL="+url, "HOOK_SECRET="+hookSecret)
	return p
}

func noSecrets(t *testing.T, r result) {
	t.Helper()
	for _, s := range []string{hookToken, hookSecret} {
		if strings.Contains(r.stdout+r.stderr, s) {
			t.Errorf("output shows the secret %q: %s", s, r)
		}
	}
}

func TestNotifyFailedBackupSendsErrorAlert(t *testing.T) {
	h := newHookReceiver(t)
	p := notifyProject(t, h.URL+"/"+hookToken)
	r := p.run("apply", "-auto-approve")
	if r.code != 1 {
		t.Fatalf("a failing source must make apply exit 1: %s", r)
	}
	noSecrets(t, r)
	msgs, bad := h.got()
	if bad != 0 || len(msgs) != 1 {
		t.Fatalf("%d alerts (%d badly signed), want 1: only the failure at the default level: %v\n%s", len(msgs), bad, msgs, r)
	}
	m := msgs[0]
	if m["schema"] != "velin.notification/v1" || m["event"] != "backup.failed" || m["level"] != "error" || m["block"] != "backup.nightly" ||
		m["plan"] != p.dir || !strings.Contains(m["error"].(string), "doomed") || m["started"] == "" {
		t.Errorf("alert %v", m)
	}
	t.Logf("alert: %v", m)
	if len(p.snapshots()) != 1 {
		t.Error("the other backup did not run")
	}
}

func TestNotifyTestCommand(t *testing.T) {
	h := newHookReceiver(t)
	p := notifyProject(t, h.URL+"/"+hookToken)
	r := p.must("notify", "test", "webhook.ops")
	noSecrets(t, r)
	if !strings.Contains(r.stdout, "Sent a test message through notify.webhook.ops") {
		t.Errorf("output: %s", r)
	}
	msgs, _ := h.got()
	if len(msgs) != 1 || msgs[0]["event"] != "test" || msgs[0]["level"] != "info" {
		t.Fatalf("received %v, want one test message", msgs)
	}
	if r := p.run("notify", "test", "notify.webhook.nope"); r.code != 1 || !strings.Contains(r.stderr, "notify.webhook.ops") {
		t.Errorf("an unknown block: %s", r)
	}
}

func TestNotifyTestCommandCannotSend(t *testing.T) {
	h := newHookReceiver(t)
	url := h.URL + "/" + hookToken
	h.Close() // nothing listens there any more
	p := notifyProject(t, url)
	r := p.run("notify", "test", "notify.webhook.ops")
	if r.code != 1 || !strings.Contains(r.stderr, "notify.webhook.ops") || !strings.Contains(r.stderr, "refused") {
		t.Errorf("sending to a closed port: %s", r)
	}
	noSecrets(t, r)
	if strings.Contains(r.stdout+r.stderr, url) {
		t.Errorf("output shows the URL: %s", r)
	}
}
