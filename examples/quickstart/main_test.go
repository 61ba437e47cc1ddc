package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuickstart runs the README's first command end to end and checks what
// it claims: two snapshots, a verified repository, and a restore of the first
// snapshot that differs from today's data exactly where the data changed.
func TestQuickstart(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	res, err := run(context.Background(), dir, &out)
	if err != nil {
		t.Fatalf("quickstart failed: %v\n%s", err, out.String())
	}
	if len(res.Snapshots) != 2 {
		t.Fatalf("snapshots = %v, want 2", res.Snapshots)
	}
	if strings.Join(res.Changed, ",") != "index.html" {
		t.Errorf("changed = %v, want [index.html]", res.Changed)
	}
	if strings.Join(res.OnlyNow, ",") != "cache/page-1.html,uploads/draft.tmp" {
		t.Errorf("only now = %v, want the two excluded files", res.OnlyNow)
	}
	if res.RowsThen != 2 || res.RowsNow != 3 {
		t.Errorf("posts then/now = %d/%d, want 2/3", res.RowsThen, res.RowsNow)
	}
	for _, excluded := range []string{"uploads/draft.tmp", "cache/page-1.html"} {
		if _, err := os.Stat(filepath.Join(dir, "restored", "site", excluded)); err == nil {
			t.Errorf("%s was excluded by the plan but was restored", excluded)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "maintenance.flag")); err == nil {
		t.Error("maintenance.flag is still there: the finally step did not run")
	}
	if strings.Contains(out.String(), demoPassphrase) {
		t.Error("the passphrase appeared in the output")
	}
}
