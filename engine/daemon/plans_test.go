package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/velinhq/velin/engine/workspace"
	"github.com/velinhq/velin/providers/all"
)

const testPlan = `
target "local" "disk" {
  path       = "./backups"
  passphrase = "a daemon test passphrase, long enough"
}
source "files" "site" {
  paths = ["./site"]
}
backup "often" {
  sources  = [source.files.site]
  target   = target.local.disk
  schedule = "every 1h"
  verify { checksums = true }
}
`

func planDir(t *testing.T, body string) (string, Loader) {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "site"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "site", "index.html"), []byte("<h1>hello</h1>"), 0o644); err != nil {
		t.Fatal(err)
	}
	writePlan(t, dir, body)
	return dir, func() (*workspace.Workspace, hcl.Diagnostics) {
		return workspace.Load(workspace.Options{Path: dir, Registry: all.Registry(), Env: []string{}})
	}
}

func writePlan(t *testing.T, dir, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "velin.hcl"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPlansRunBacksUp(t *testing.T) {
	_, load := planDir(t, testPlan)
	ws, jobs, err := Load(load)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].Name != "often" || jobs[0].Schedule.String() != "every 1h" {
		t.Fatalf("jobs %+v", jobs)
	}
	p := &Plans{}
	p.Set(ws)
	defer p.Close()
	out := p.Run(context.Background(), "often")
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	if out.Snapshots != 1 || out.BytesRead == 0 || out.BytesStored == 0 || out.VerifyOK == 0 {
		t.Fatalf("outcome %+v, want one verified snapshot with bytes read and stored", out)
	}
}

func TestLoadRefusesBrokenPlans(t *testing.T) {
	for _, c := range []struct{ name, body, want string }{
		{"no schedule", strings.Replace(testPlan, `schedule = "every 1h"`, "", 1), "no backup with a schedule"},
		{"bad schedule", strings.Replace(testPlan, "every 1h", "every soon", 1), "velin.hcl:12:14"},
		{"syntax", testPlan + "backup {", "error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, load := planDir(t, c.body)
			if _, _, err := Load(load); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Load = %v, want an error with %q", err, c.want)
			}
		})
	}
}

func TestReloadKeepsOldPlanOnError(t *testing.T) {
	dir, load := planDir(t, testPlan)
	ws, jobs, err := Load(load)
	if err != nil {
		t.Fatal(err)
	}
	p := &Plans{}
	p.Set(ws)
	defer p.Close()
	h := newHarness(t, "", Options{})
	h.start(jobs...)
	h.waitIdle()
	writePlan(t, dir, strings.Replace(testPlan, "every 1h", "every soon", 1))
	if err := p.Reload(context.Background(), h.s, load); err == nil {
		t.Fatal("a broken plan was accepted")
	}
	if p.cur.ws != ws {
		t.Fatal("the old plan was replaced by a broken one")
	}
	h.wantNoRun()
	writePlan(t, dir, strings.Replace(testPlan, "every 1h", "every 2h", 1))
	if err := p.Reload(context.Background(), h.s, load); err != nil {
		t.Fatal(err)
	}
	if w := h.waitIdle(); !w.Equal(t0.Add(2 * 3600e9)) {
		t.Fatalf("wake %s after reloading every 2h, want 12:00", w)
	}
	if p.cur.ws == ws {
		t.Fatal("the good plan was not taken")
	}
	h.shutdown()
}

// TestReloadPreparesThePlan: a plan a reload loaded without errors goes
// through Prepare (the CLI's crash recovery) before runs use it; a broken
// one does not.
func TestReloadPreparesThePlan(t *testing.T) {
	dir, load := planDir(t, testPlan)
	ws, jobs, err := Load(load)
	if err != nil {
		t.Fatal(err)
	}
	var prepared []*workspace.Workspace
	p := &Plans{Prepare: func(_ context.Context, ws *workspace.Workspace) {
		prepared = append(prepared, ws)
	}}
	p.Set(ws)
	defer p.Close()
	h := newHarness(t, "", Options{})
	h.start(jobs...)
	h.waitIdle()
	writePlan(t, dir, strings.Replace(testPlan, "every 1h", "every soon", 1))
	if err := p.Reload(context.Background(), h.s, load); err == nil || len(prepared) != 0 {
		t.Fatalf("a broken plan: Reload = %v, prepared %d plan(s)", err, len(prepared))
	}
	writePlan(t, dir, strings.Replace(testPlan, "every 1h", "every 2h", 1))
	if err := p.Reload(context.Background(), h.s, load); err != nil {
		t.Fatal(err)
	}
	if len(prepared) != 1 || prepared[0] != p.cur.ws || prepared[0] == ws {
		t.Fatalf("prepared %v, want the reloaded plan %p once", prepared, p.cur.ws)
	}
	h.waitIdle()
	h.shutdown()
}
