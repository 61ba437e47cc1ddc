package config

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

var update = flag.Bool("update", false, "rewrite the # expect: lines of testdata/invalid fixtures")

const expectPrefix = "# expect: "

func TestValidFixtures(t *testing.T) {
	paths, _ := filepath.Glob("testdata/valid/*.hcl")
	if len(paths) == 0 {
		t.Fatal("no valid fixtures")
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			_, files, diags := load(t, LoadOptions{Path: p})
			if len(diags) > 0 {
				var b strings.Builder
				_ = WriteDiagnostics(&b, files, diags, false)
				t.Fatalf("unexpected diagnostics:\n%s", b.String())
			}
		})
	}
}

// TestInvalidFixtures loads each testdata/invalid fixture and compares its
// diagnostics with the "# expect:" lines at the end of the file, one per
// diagnostic, as "file:line:col: Summary; Detail". Run with -update to
// rewrite them (then read the diff).
func TestInvalidFixtures(t *testing.T) {
	paths, _ := filepath.Glob("testdata/invalid/*.hcl")
	if len(paths) == 0 {
		t.Fatal("no invalid fixtures")
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			_, _, diags := load(t, LoadOptions{Path: p})
			if !diags.HasErrors() {
				t.Fatalf("loaded without errors")
			}
			got := formatDiags(diags)
			body, want := readFixture(t, p)
			if *update {
				writeFile(t, p, body+expectPrefix+strings.Join(got, "\n"+expectPrefix)+"\n")
				return
			}
			if len(want) == 0 {
				t.Fatalf("fixture has no %q lines", expectPrefix)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("diagnostics:\n  got:  %s\n  want: %s", strings.Join(got, "\n        "), strings.Join(want, "\n        "))
			}
		})
	}
}

// readFixture splits a fixture into its body and its expect lines.
func readFixture(t *testing.T, path string) (string, []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var body []string
	var want []string
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if strings.HasPrefix(line, expectPrefix) {
			want = append(want, strings.TrimSuffix(strings.TrimPrefix(line, expectPrefix), "\n"))
		} else if line != "" {
			body = append(body, line)
		}
	}
	return strings.Join(body, ""), want
}

func formatDiags(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		s := d.Summary + "; " + d.Detail
		if d.Severity == hcl.DiagWarning {
			s = "warning: " + s
		}
		if d.Subject != nil {
			s = fmt.Sprintf("%s:%d:%d: %s", filepath.Base(d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column, s)
		}
		out = append(out, strings.ReplaceAll(s, "\n", " "))
	}
	return out
}
