package plans

import (
	"path/filepath"
	"testing"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/providers/all"
)

func TestPlansLoadAndCompile(t *testing.T) {
	files, err := filepath.Glob("*.velin.hcl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no plans found: %v", err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			cfg, _, diags := config.Load(config.LoadOptions{
				Path: f, Registry: all.Registry(),
				Env: []string{"VELIN_PASSPHRASE=plan-test-passphrase",
					"VELIN_VAR_app_database_url=postgres://app:secret@127.0.0.1:5432/app",
					"VELIN_VAR_shop_database_url=mysql://shop:secret@127.0.0.1:3306/shop",
					"VELIN_VAR_database_url=postgres://platform:secret@127.0.0.1:5432/platform",
					"VELIN_VAR_s3_access_key=plan-test-access", "VELIN_VAR_s3_secret_key=plan-test-secret",
					"VELIN_VAR_maintenance_token=plan-test-token", "VELIN_OFFSITE_PASSPHRASE=plan-test-offsite"},
			})
			if diags.HasErrors() {
				t.Fatalf("%s does not load: %s", f, diags.Error())
			}
			if len(cfg.Backups) == 0 {
				t.Fatalf("%s declares no backup", f)
			}
			if _, d := graph.Build(cfg, graph.Selection{}); d.HasErrors() {
				t.Fatalf("%s does not compile: %s", f, d.Error())
			}
			for _, r := range cfg.Restores {
				if _, d := graph.Build(cfg, graph.Selection{Restore: r.Name}); d.HasErrors() {
					t.Fatalf("%s: restore %s does not compile: %s", f, r.Name, d.Error())
				}
			}
		})
	}
}
