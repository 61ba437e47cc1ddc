package storagetest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/storagetest"
)

const bugEnv = "VELIN_STORAGETEST_BUG"

func TestMemPasses(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Storage { return newMem("") })
}

// TestBrokenChild runs the suite on a memStorage with the bug named in the
// environment; TestSuiteCatchesBugs starts it and expects it to fail.
func TestBrokenChild(t *testing.T) {
	bug := os.Getenv(bugEnv)
	if bug == "" {
		t.Skip("helper process for TestSuiteCatchesBugs")
	}
	storagetest.Run(t, func(t *testing.T) storage.Storage { return newMem(bug) })
}

func TestSuiteCatchesBugs(t *testing.T) {
	cases := map[string][]string{ // bug → subtests that must fail
		"ignore-ctx":            {"CanceledContext"},
		"no-validate":           {"InvalidNames"},
		"keep-partial":          {"PutReaderError"},
		"ignore-size":           {"PutSizeMismatch"},
		"truncate-big":          {"RoundTrip"},
		"close-reader":          {"PutReader"},
		"no-ifabsent":           {"IfAbsent", "IfAbsentRace"},
		"missing-is-empty":      {"NotFound", "PrefixIsNotAnObject", "Delete"},
		"strict-range":          {"GetRangeBeyondEnd"},
		"range-off-by-one":      {"GetRange"},
		"list-whole-segments":   {"List"},
		"list-ignores-fn-error": {"ListStops"},
		"delete-missing-fails":  {"NotFound", "Delete", "PrefixIsNotAnObject"},
		"past-end-empty":        {"GetRangeBeyondEnd"},
		"no-modtime":            {"ModTime"},
	}
	for bug, want := range cases {
		t.Run(bug, func(t *testing.T) {
			t.Parallel()
			run := "^TestBrokenChild$/^(" + strings.Join(want, "|") + ")$"
			cmd := exec.Command(os.Args[0], "-test.run="+run, "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), bugEnv+"="+bug)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a storage with bug %q", bug)
			}
			for _, sub := range want {
				if !strings.Contains(string(out), "--- FAIL: TestBrokenChild/"+sub+" ") {
					t.Errorf("bug %q: subtest %s did not fail; output:\n%s", bug, sub, tail(out))
				}
			}
		})
	}
}

func tail(b []byte) string {
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}
