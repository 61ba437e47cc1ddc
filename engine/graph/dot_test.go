package graph

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func TestDOTGolden(t *testing.T) {
	got := mustBuild(t, standard().cfg, Selection{}).DOT()
	golden := filepath.Join("testdata", "standard.dot")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("DOT differs from %s (run with -update after checking):\n%s", golden, got)
	}
}

func TestDOTLeavesOutImpliedEdges(t *testing.T) {
	dot := mustBuild(t, standard().cfg, Selection{Backups: []string{"nightly"}}).DOT()
	// The first finally step depends on every node, but only the edge from
	// the last after step is needed.
	for _, from := range []string{"snapshot", "commit", "source.files.site", "before/step.exec.maintenance_on"} {
		edge := `"backup.nightly/` + from + `" -> "backup.nightly/finally/step.exec.maintenance_off"`
		if strings.Contains(dot, edge) {
			t.Errorf("implied edge drawn: %s", edge)
		}
	}
	for _, edge := range []string{
		`"backup.nightly/after/step.exec.notify" -> "backup.nightly/finally/step.exec.maintenance_off"`,
		`"backup.nightly/source.sqlite.app" -> "backup.nightly/snapshot"`,
		`"backup.nightly/retention" -> "backup.nightly/after/step.exec.notify"`,
	} {
		if !strings.Contains(dot, edge) {
			t.Errorf("edge missing: %s", edge)
		}
	}
}

func TestDOTQuotes(t *testing.T) {
	if got := dotQuote(`a"b\c`); got != `"a\"b\\c"` {
		t.Errorf("dotQuote = %s", got)
	}
}
