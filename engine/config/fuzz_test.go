package config

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzLoad writes arbitrary bytes as a configuration file and loads it:
// Load must never panic, whatever the input, and must return the files map.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.hcl")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(StarterFile()))
	f.Add([]byte("locals {\n a = local.a\n}\n"))
	f.Add([]byte("backup \"x\" {\n sources = [source.a.b[0]]\n target = 1\n depends_on = backup.x\n}\n"))
	reg := testRegistry()
	f.Fuzz(func(t *testing.T, src []byte) {
		path := filepath.Join(t.TempDir(), MainFile)
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, files, diags := Load(LoadOptions{Path: path, Registry: reg, Env: testEnv, Now: func() time.Time { return fixedNow }})
		if cfg == nil || files == nil {
			t.Fatal("Load returned a nil Config or files map")
		}
		_ = WriteDiagnostics(io.Discard, files, diags, true, cfg.Secrets...)
	})
}
