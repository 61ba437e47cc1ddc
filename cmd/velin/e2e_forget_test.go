package main

import (
	"encoding/json"
	"strings"
	"testing"
)

type forgetJSON struct {
	Target     string   `json:"target"`
	Repository string   `json:"repository"`
	DryRun     bool     `json:"dry_run"`
	Forgotten  []string `json:"forgotten"`
	Reclaimed  struct {
		BytesFreed     int64 `json:"bytes_freed"`
		PacksDeleted   int   `json:"packs_deleted"`
		OrphansDeleted int   `json:"orphans_deleted"` // packs no index lists
		PacksMarked    int   `json:"packs_marked"`
		BytesMarked    int64 `json:"bytes_marked"`
	} `json:"reclaimed"`
}

type pruneJSON struct {
	DryRun    bool `json:"dry_run"`
	Retention []struct {
		Target    string `json:"target"`
		Backup    string `json:"backup"`
		Policy    string `json:"policy"`
		Snapshots []struct {
			ID      string   `json:"id"`
			Keep    bool     `json:"keep"`
			Reasons []string `json:"reasons"`
		} `json:"snapshots"`
	} `json:"retention"`
	Targets []forgetJSON `json:"targets"`
}

func decodeJSON(t *testing.T, r result, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r)
	}
}

// TestE2EPruneDryRunMatchesRealPrune: prune --dry-run reports what the real
// prune reclaims, the data of the snapshots retention forgets included,
// and shows which rule keeps each snapshot.
func TestE2EPruneDryRunMatchesRealPrune(t *testing.T) {
	p := newProject(t, filesPlan)
	for i := 0; i < 3; i++ {
		p.write("data/changing.bin", randomString(20_000))
		p.must("backup", "create")
	}
	snaps := p.snapshots()
	if len(snaps) != 3 {
		t.Fatalf("want 3 snapshots, have %d", len(snaps))
	}
	p.write("velin.hcl", strings.Replace(filesPlan, `strategy = "full"`, "strategy = \"full\"\n  retention {\n    keep_last = 1\n  }", 1))

	text := p.must("backup", "prune", "--dry-run")
	for _, want := range []string{"KEPT BY", "forget", "keep", "last", "Would reclaim", snaps[0].ID} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("prune --dry-run does not show %q:\n%s", want, text.stdout)
		}
	}
	var dry pruneJSON
	decodeJSON(t, p.must("backup", "prune", "--dry-run", "--json"), &dry)
	if !dry.DryRun || len(dry.Retention) != 1 || len(dry.Targets) != 1 {
		t.Fatalf("prune --dry-run --json: %+v", dry)
	}
	kept := 0
	for _, s := range dry.Retention[0].Snapshots {
		if s.Keep {
			kept++
			if s.ID != snaps[2].ID || len(s.Reasons) == 0 || s.Reasons[0] != "last" {
				t.Errorf("kept %s for %v, want the newest (%s) for \"last\"", s.ID, s.Reasons, snaps[2].ID)
			}
		}
	}
	if kept != 1 {
		t.Errorf("keep_last = 1 keeps %d snapshots", kept)
	}
	would := dry.Targets[0]
	if len(would.Forgotten) != 2 || would.Reclaimed.BytesFreed < 2*20_000 {
		t.Errorf("prune --dry-run must count what retention forgets: %+v", would)
	}
	if n := len(p.snapshots()); n != 3 {
		t.Fatalf("a dry run forgot snapshots: %d left", n)
	}

	var real pruneJSON
	decodeJSON(t, p.must("backup", "prune", "--yes", "--json"), &real)
	did := real.Targets[0]
	if did.Reclaimed.BytesFreed != would.Reclaimed.BytesFreed || strings.Join(did.Forgotten, ",") != strings.Join(would.Forgotten, ",") {
		t.Errorf("the dry run said %+v, the real prune did %+v", would, did)
	}
	if n := len(p.snapshots()); n != 1 {
		t.Errorf("after prune %d snapshots are left, want 1", n)
	}
	r := p.must("backup", "prune", "--dry-run", "--json")
	if !strings.Contains(r.stdout, `"forgotten": []`) {
		t.Errorf("an empty list must be [], not null:\n%s", r.stdout)
	}
}

// TestE2EDeleteJSON: delete --json reports what it forgot and reclaimed,
// and --dry-run changes nothing.
func TestE2EDeleteJSON(t *testing.T) {
	p := newProject(t, filesPlan)
	p.write("data/a.bin", randomString(30_000))
	p.must("backup", "create")
	p.write("data/a.bin", randomString(30_000))
	p.must("backup", "create")
	first := p.snapshots()[0].ID

	var dry forgetJSON
	decodeJSON(t, p.must("backup", "delete", first, "--dry-run", "--json"), &dry)
	if !dry.DryRun || dry.Reclaimed.BytesFreed < 30_000 || len(dry.Forgotten) != 1 {
		t.Errorf("delete --dry-run --json: %+v", dry)
	}
	if n := len(p.snapshots()); n != 2 {
		t.Fatalf("delete --dry-run deleted: %d snapshots left", n)
	}
	var did forgetJSON
	decodeJSON(t, p.must("backup", "delete", first, "--yes", "--json"), &did)
	if did.DryRun || did.Target != "target.local.disk" || len(did.Forgotten) != 1 || did.Forgotten[0] != first ||
		did.Reclaimed.BytesFreed != dry.Reclaimed.BytesFreed {
		t.Errorf("delete --json: %+v (dry run said %+v)", did, dry)
	}
	if n := len(p.snapshots()); n != 1 {
		t.Errorf("%d snapshots left after delete", n)
	}
}
