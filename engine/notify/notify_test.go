package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/config"
)

// receiver is a local HTTP endpoint that records what it is sent and
// answers with the status codes of answers, in turn (200 once they run out).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
	answers []int
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	r := &receiver{answers: answers}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, body)
		r.headers = append(r.headers, req.Header.Clone())
		code := http.StatusOK
		if len(r.answers) > 0 {
			code, r.answers = r.answers[0], r.answers[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() ([][]byte, []http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.bodies), slices.Clone(r.headers)
}

// token is the secret part of the endpoints' URLs.
const token = "T0KEN-in-the-path-9f8e7d"

func sample() Message {
	t0 := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	return Message{Schema: Schema, Event: "backup.failed", Level: LevelError, Plan: "/etc/velin", Host: "db1",
		Block: "backup.nightly", Backup: "nightly", Snapshot: "", Started: t0, Finished: t0.Add(time.Minute),
		Error:   "backup.nightly/source.files.site: back up source.files.site: open /srv: permission denied",
		Summary: "backup.nightly failed: open /srv: permission denied"}
}

func mustNew(t *testing.T, n *config.Notify) Notifier {
	t.Helper()
	nt, err := New(n, Env{})
	if err != nil {
		t.Fatal(err)
	}
	return nt
}

func TestWebhookBodyAndSignature(t *testing.T) {
	rcv := newReceiver(t)
	secret := "hmac-key-not-printed"
	n := mustNew(t, &config.Notify{Kind: "webhook", Name: "ops", URL: rcv.URL + "/" + token, Secret: secret})
	if err := n.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	bodies, headers := rcv.got()
	if len(bodies) != 1 {
		t.Fatalf("%d requests, want 1", len(bodies))
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(bodies[0])
	if got, want := headers[0].Get(SignatureHeader), "sha256="+hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("signature %q, want %q", got, want)
	}
	if Sign([]byte("another key"), bodies[0]) == headers[0].Get(SignatureHeader) {
		t.Error("the signature does not depend on the key")
	}
	var m Message
	if err := json.Unmarshal(bodies[0], &m); err != nil {
		t.Fatal(err)
	}
	if !m.Started.Equal(sample().Started) {
		t.Errorf("started %v", m.Started)
	}
	m.Started, m.Finished = sample().Started, sample().Finished
	if m != sample() {
		t.Errorf("received %+v\nwant %+v", m, sample())
	}
	if strings.Contains(string(bodies[0]), secret) {
		t.Error("the body holds the HMAC key")
	}
	for _, field := range []string{`"schema":"velin.notification/v1"`, `"event":"backup.failed"`, `"level":"error"`, `"plan":`, `"started":"2026-12-02T03:00:00Z"`} {
		if !strings.Contains(string(bodies[0]), field) {
			t.Errorf("body lacks %s: %s", field, bodies[0])
		}
	}
}

func TestWebhookUnsigned(t *testing.T) {
	rcv := newReceiver(t)
	n := mustNew(t, &config.Notify{Kind: "webhook", Name: "ops", URL: rcv.URL})
	if err := n.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	if _, h := rcv.got(); h[0].Get(SignatureHeader) != "" {
		t.Error("an unsigned webhook sent a signature")
	}
}

func TestDeliverRetriesThenSucceeds(t *testing.T) {
	rcv := newReceiver(t, http.StatusBadGateway, http.StatusInternalServerError)
	n := mustNew(t, &config.Notify{Kind: "webhook", Name: "ops", URL: rcv.URL + "/" + token})
	var waits []time.Duration
	var logged []string
	p := Policy{Attempts: 4, Backoff: time.Second, Sleep: func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}}
	err := Deliver(context.Background(), n, sample(), p, func(attempt int, err error) { logged = append(logged, err.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	if bodies, _ := rcv.got(); len(bodies) != 3 {
		t.Errorf("%d requests, want 3", len(bodies))
	}
	if !slices.Equal(waits, []time.Duration{time.Second, 2 * time.Second}) {
		t.Errorf("waited %v, want 1s then 2s", waits)
	}
	if len(logged) != 2 || !strings.Contains(logged[0], "502") || !strings.Contains(logged[1], "500") {
		t.Errorf("logged %q", logged)
	}
	for _, l := range logged {
		if strings.Contains(l, token) {
			t.Errorf("a logged error quotes the URL's token: %s", l)
		}
	}
}

func TestDeliverGivesUpOnSilentReceiver(t *testing.T) {
	release := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // never answers while the client waits
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); silent.Close() })
	n := mustNew(t, &config.Notify{Kind: "slack", Name: "alerts", URL: silent.URL + "/services/" + token})
	attempts := 0
	p := Policy{Attempts: 2, Timeout: 50 * time.Millisecond, Sleep: func(context.Context, time.Duration) error { return nil }}
	err := Deliver(context.Background(), n, sample(), p, func(int, error) { attempts++ })
	if err == nil || !strings.Contains(err.Error(), "no answer within") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want no answer", err)
	}
	if attempts != 2 {
		t.Errorf("%d attempts logged, want 2", attempts)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), silent.URL) {
		t.Errorf("error quotes the URL: %v", err)
	}
}

func TestDeliverStopsWhenCancelled(t *testing.T) {
	rcv := newReceiver(t, 500, 500, 500)
	n := mustNew(t, &config.Notify{Kind: "webhook", Name: "ops", URL: rcv.URL})
	ctx, cancel := context.WithCancel(context.Background())
	p := Policy{Attempts: 3, Sleep: func(context.Context, time.Duration) error { cancel(); return context.Canceled }}
	if err := Deliver(ctx, n, sample(), p, nil); err == nil {
		t.Fatal("delivery to a failing receiver succeeded")
	}
	if bodies, _ := rcv.got(); len(bodies) != 1 {
		t.Errorf("%d attempts after cancel, want 1", len(bodies))
	}
}

func TestUnreachableErrorHidesURL(t *testing.T) {
	rcv := newReceiver(t)
	url := rcv.URL + "/hooks/" + token
	rcv.Close() // nothing listens there now
	n := mustNew(t, &config.Notify{Kind: "teams", Name: "channel", URL: url})
	err := n.Send(context.Background(), sample())
	if err == nil {
		t.Fatal("sent to a closed server")
	}
	if strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "notify.teams.channel") {
		t.Errorf("error %q: want the block's name, not the URL", err)
	}
}

func TestSlackPayload(t *testing.T) {
	rcv := newReceiver(t)
	n := mustNew(t, &config.Notify{Kind: "slack", Name: "alerts", URL: rcv.URL})
	if err := n.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	bodies, _ := rcv.got()
	var got struct {
		Text   string
		Blocks []struct {
			Type string
			Text struct{ Type, Text string }
		}
	}
	if err := json.Unmarshal(bodies[0], &got); err != nil {
		t.Fatal(err)
	}
	if got.Text != "velin: backup.nightly failed on db1" || len(got.Blocks) != 1 || got.Blocks[0].Text.Type != "mrkdwn" ||
		!strings.Contains(got.Blocks[0].Text.Text, "permission denied") {
		t.Errorf("slack body %s", bodies[0])
	}
}

func TestTeamsAdaptiveCard(t *testing.T) {
	rcv := newReceiver(t)
	n := mustNew(t, &config.Notify{Kind: "teams", Name: "channel", URL: rcv.URL})
	if err := n.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	bodies, _ := rcv.got()
	var got struct {
		Type        string
		Attachments []struct {
			ContentType string
			Content     struct {
				Type, Version string
				Body          []struct{ Type, Text, Color string }
			}
		}
	}
	if err := json.Unmarshal(bodies[0], &got); err != nil {
		t.Fatal(err)
	}
	if got.Type != "message" || len(got.Attachments) != 1 {
		t.Fatalf("teams body %s", bodies[0])
	}
	a := got.Attachments[0]
	if a.ContentType != "application/vnd.microsoft.card.adaptive" || a.Content.Type != "AdaptiveCard" || a.Content.Version == "" {
		t.Errorf("attachment %+v", a)
	}
	if len(a.Content.Body) < 3 || a.Content.Body[0].Color != "Attention" || a.Content.Body[2].Type != "FactSet" {
		t.Errorf("card body %s", bodies[0])
	}
}

func TestKindsMatchConfig(t *testing.T) {
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.Name)
	}
	if !slices.Equal(names, config.NotifyKinds) {
		t.Errorf("notify kinds %v, config's %v", names, config.NotifyKinds)
	}
}

func TestWants(t *testing.T) {
	for _, c := range []struct {
		level, msg string
		want       bool
	}{
		{"errors", LevelError, true}, {"errors", LevelWarning, false}, {"errors", LevelInfo, false},
		{"warnings", LevelError, true}, {"warnings", LevelWarning, true}, {"warnings", LevelInfo, false},
		{"all", LevelInfo, true}, {"", LevelError, true}, {"", LevelInfo, false},
	} {
		if got := Wants(c.level, c.msg); got != c.want {
			t.Errorf("Wants(%q, %q) = %v", c.level, c.msg, got)
		}
	}
}
