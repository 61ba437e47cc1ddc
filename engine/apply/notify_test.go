package apply

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/notify"
	"github.com/velinhq/velin/engine/workspace"
	"github.com/velinhq/velin/providers/all"
)

const notifyPlan = `
target "local" "disk" {
  path       = "./backups"
  passphrase = "apply-notify-test-passphrase"
}
source "files" "site" {
  paths = ["./site"]
}
notify "webhook" "ops" {
  url = "%URL%/hook-token-secret"
}
backup "nightly" {
  sources      = [source.files.site]
  target       = target.local.disk
  notify       = [notify.webhook.ops]
  notify_level = "all"
}
`

// runNotifyPlan backs up one small file tree with a webhook to url and
// returns the report and the warnings emitted.
func runNotifyPlan(t *testing.T, url string, policy notify.Policy) (*Report, []string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "site"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "site", "a.txt"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := strings.ReplaceAll(notifyPlan, "%URL%", url)
	if err := os.WriteFile(filepath.Join(dir, "velin.hcl"), []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	ws, diags := workspace.Load(workspace.Options{Path: dir, Env: []string{}, Registry: all.Registry()})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	defer ws.Close()
	g, diags := graph.Build(ws.Config, graph.Selection{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var mu sync.Mutex
	var warnings []string
	rep, err := Run(context.Background(), ws, g, Options{NotifyPolicy: policy, Events: func(e Event) {
		if e.Type == "warning" {
			mu.Lock()
			warnings = append(warnings, e.Node+": "+e.Message)
			mu.Unlock()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	return rep, warnings
}

func noSleep(context.Context, time.Duration) error { return nil }

func TestAlertRetriedUntilReceived(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	var got notify.Message
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &got); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()
	rep, warnings := runNotifyPlan(t, srv.URL, notify.Policy{Attempts: 3, Timeout: 30 * time.Second, Sleep: noSleep})
	if rep.Failed() || len(rep.Snapshots) != 1 {
		t.Fatalf("backup failed: %+v", rep.Results)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 3 {
		t.Fatalf("%d requests, want 3 (two failures, then success)", calls)
	}
	if got.Event != "backup.succeeded" || got.Level != notify.LevelInfo || got.Block != "backup.nightly" || got.Backup != "nightly" ||
		got.Snapshot != rep.Snapshots[0].ID || got.Started.IsZero() || got.Finished.Before(got.Started) || got.Schema != notify.Schema {
		t.Errorf("message %+v", got)
	}
	if len(warnings) != 2 || !strings.Contains(warnings[0], "attempt 1 of 3") || !strings.Contains(warnings[0], "503") {
		t.Errorf("warnings %q, want one per failed attempt", warnings)
	}
	for _, w := range warnings {
		if strings.Contains(w, "hook-token-secret") {
			t.Errorf("a warning quotes the webhook's URL: %s", w)
		}
	}
}

func TestAlertToSilentReceiverDoesNotFailBackup(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // never answers
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	rep, warnings := runNotifyPlan(t, srv.URL, notify.Policy{Attempts: 2, Timeout: 50 * time.Millisecond, Sleep: noSleep})
	if rep.Failed() || len(rep.Snapshots) != 1 {
		t.Fatalf("an unsendable alert failed the backup: %+v", rep.Results)
	}
	if len(warnings) != 2 || !strings.Contains(warnings[1], "no answer within") {
		t.Errorf("warnings %q, want two timed-out attempts", warnings)
	}
}
