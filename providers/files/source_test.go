package files

import (
	"github.com/velinhq/velin/engine/repo/snaptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/velinhq/velin/providers/sourcetest"
)

func harness() sourcetest.Harness {
	return sourcetest.Harness{FileTree: true, Setup: setup}
}

func setup(t testing.TB) sourcetest.Fixture {
	parent := t.TempDir()
	spec := sourcetest.MakeTree(t, parent, "site", 42)
	src, err := New([]string{filepath.Join(parent, "site")}, nil, false, false)
	if err != nil {
		t.Fatal(err)
	}
	return sourcetest.Fixture{
		Source:  src,
		Live:    parent,
		Dest:    func(dir string) (string, string) { return dir, dir },
		Mutate:  func(t testing.TB) []string { return sourcetest.MutateTree(t, parent, spec) },
		Capture: func(t testing.TB) func(testing.TB, string) { return sourcetest.CaptureDir(t, parent) },
	}
}

func TestSuite(t *testing.T) {
	sourcetest.Run(t, harness())
}

// TestSuiteRealRepository runs the same suite against the engine's
// repository (encrypted, on disk) instead of the in-memory stand-in.
func TestSuiteRealRepository(t *testing.T) {
	h := harness()
	h.NewSnapshot = snaptest.Snapshots(t)
	sourcetest.Run(t, h)
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}
