package plan

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/velinhq/velin/providers/provider"
)

func TestRenderMarkersSummaryAndTruncation(t *testing.T) {
	var changes []provider.Change
	for i := 0; i < MaxListed+5; i++ {
		changes = append(changes, provider.Change{Action: "replace", What: fmt.Sprintf("site/f%02d", i)})
	}
	changes = append(changes, provider.Change{Action: "drop", What: "table t", Detail: "3 rows"})
	p := &Plan{
		Actions: []Action{
			{Node: "backup.b/source.files.site", Marker: "+", Summary: "back up source.files.site: 3 files, 1 kB"},
			{Node: "restore.r/source.files.site", Marker: "-", Summary: "restore source.files.site", Changes: changes},
			{Node: "backup.b/retention", Marker: "-", Summary: "apply retention", Error: "boom"},
		},
		Summary: Summary{Snapshots: 1, Sources: 1, Files: 3, Bytes: 1000, Forget: 2, Steps: 1, Restores: 1, Overwrite: 26, Errors: 1},
	}
	var b bytes.Buffer
	if err := p.Render(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"  + back up source.files.site",
		"      ~ replace site/f00",
		"      … and 6 more",
		"      error: boom",
		"Plan: 1 snapshot(s) to create (1 source(s), 3 files, 1.0 kB), 1 source(s) to restore, 26 existing item(s) to overwrite, 2 to forget, 1 step(s) to run. 1 error(s).",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("render lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, fmt.Sprintf("site/f%02d", MaxListed)) {
		t.Errorf("render listed more than %d changes:\n%s", MaxListed, out)
	}
	if got := p.Errors(); len(got) != 1 || got[0] != "backup.b/retention: boom" {
		t.Errorf("Errors() = %v", got)
	}
}

func TestRenderNoChanges(t *testing.T) {
	var b bytes.Buffer
	p := &Plan{}
	if err := p.Render(&b); err != nil || !strings.Contains(b.String(), "No changes") || p.HasChanges() {
		t.Fatalf("empty plan: %q, %v", b.String(), err)
	}
}

func TestSaveReadRoundTripAndVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.plan")
	p := &Plan{Version: FormatVersion, ConfigHash: "abc", Repos: map[string]string{"target.local.d": "none"},
		Actions: []Action{{Node: "n", Marker: "+"}}}
	if err := p.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil || got.ConfigHash != "abc" || got.Repos["target.local.d"] != "none" || len(got.Actions) != 1 {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	p.Version = FormatVersion + 1
	if err := p.Save(path); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), "format version") {
		t.Fatalf("a plan of another format version must be refused: %v", err)
	}
}
