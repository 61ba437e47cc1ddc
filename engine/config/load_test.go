package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// fixedNow is the clock every test loads with.
var fixedNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// testEnv is the environment every fixture loads with.
var testEnv = []string{"VELIN_PASSPHRASE=fixture-passphrase", "VELIN_OFFSITE_PASSPHRASE=fixture-offsite", "HOME=/home/test",
	"VELIN_WEBHOOK_SECRET=fixture-hmac-key", "VELIN_SLACK_URL=https://hooks.slack.com/services/T0/B0/fixture",
	"VELIN_TEAMS_URL=https://prod-01.westeurope.logic.azure.com/workflows/fixture/triggers/manual/paths/invoke?sig=fixture"}

func load(t testing.TB, opts LoadOptions) (*Config, map[string]*hcl.File, hcl.Diagnostics) {
	t.Helper()
	if opts.Registry == nil {
		opts.Registry = testRegistry()
	}
	if opts.Env == nil {
		opts.Env = testEnv
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixedNow }
	}
	return Load(opts)
}

// mustLoad loads and fails the test on any error diagnostic.
func mustLoad(t testing.TB, opts LoadOptions) *Config {
	t.Helper()
	cfg, files, diags := load(t, opts)
	if diags.HasErrors() {
		var b strings.Builder
		_ = WriteDiagnostics(&b, files, diags, false)
		t.Fatalf("load %s:\n%s", opts.Path, b.String())
	}
	return cfg
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func refAddrs(refs []Ref) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.Addr)
	}
	return out
}

func TestLoadBriefPlan(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{Path: "testdata/valid/plan.hcl"})
	dir, _ := filepath.Abs("testdata/valid")
	if cfg.Dir != dir {
		t.Errorf("Dir = %q, want %q", cfg.Dir, dir)
	}
	site := cfg.Sources["source.files.site"]
	if site == nil {
		t.Fatalf("source.files.site missing; sources: %v", cfg.Sources)
	}
	fs := site.Impl.(*fakeSource)
	if !reflect.DeepEqual(fs.Paths, []string{"./site"}) || fs.Dir != dir {
		t.Errorf("files source got paths %v dir %q", fs.Paths, fs.Dir)
	}
	tgt := cfg.Targets["target.local.disk"].Impl.(*fakeTarget)
	if tgt.Passphrase != "fixture-passphrase" {
		t.Errorf("passphrase = %q", tgt.Passphrase)
	}
	if !contains(cfg.Secrets, "fixture-passphrase") {
		t.Errorf("passphrase registered by the provider not in Secrets %q", cfg.Secrets)
	}
	b := cfg.Backups["backup.nightly"]
	if b == nil {
		t.Fatal("backup.nightly missing")
	}
	want := &Backup{
		Name: "nightly", Strategy: "incremental",
		Retention: &Retention{KeepLast: 7, KeepDaily: 14},
		Verify:    Verify{Checksums: true, TestRestore: true},
	}
	if b.Name != want.Name || b.Strategy != want.Strategy || !reflect.DeepEqual(b.Verify, want.Verify) ||
		b.Retention.KeepLast != 7 || b.Retention.KeepDaily != 14 || b.Retention.KeepWithin != 0 {
		t.Errorf("backup = %+v, retention %+v", b, b.Retention)
	}
	checkRefs(t, "sources", b.Sources, "source.files.site", "source.sqlite.app")
	checkRefs(t, "target", []Ref{b.Target}, "target.local.disk")
	checkRefs(t, "before", b.Before, "step.exec.maintenance_on")
	checkRefs(t, "finally", b.Finally, "step.exec.maintenance_off")
	if len(b.After) != 0 || len(b.DependsOn) != 0 {
		t.Errorf("after %v depends_on %v, want none", b.After, b.DependsOn)
	}
	if b.Sources[1].Range.Start.Line != 24 {
		t.Errorf("source.sqlite.app reference at line %d, want 24", b.Sources[1].Range.Start.Line)
	}
	if len(cfg.Hash) != 64 {
		t.Errorf("Hash = %q", cfg.Hash)
	}
}

func checkRefs(t *testing.T, what string, got []Ref, want ...string) {
	t.Helper()
	if !reflect.DeepEqual(refAddrs(got), want) {
		t.Errorf("%s = %v, want %v", what, refAddrs(got), want)
	}
}

func TestLoadFull(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{Path: "testdata/valid/full.hcl"})
	if got := cfg.Locals["label"].Value.AsString(); got != "site-3" {
		t.Errorf("local.label = %q", got)
	}
	if got := cfg.Locals["stamp"].Value.AsString(); got != "2025-03-04T05:06:07Z" {
		t.Errorf("local.stamp = %q", got)
	}
	fs := cfg.Sources["source.files.site"].Impl.(*fakeSource)
	if !reflect.DeepEqual(fs.Paths, []string{"/srv/site"}) || !reflect.DeepEqual(fs.Exclude, []string{"*.tmp", "cache/**"}) {
		t.Errorf("files source = %+v", fs)
	}
	b := cfg.Backups["backup.nightly"]
	r := b.Retention
	if r.KeepLast != 7 || r.KeepHourly != 24 || r.KeepWeekly != 8 || r.KeepMonthly != 12 || r.KeepYearly != 3 || r.KeepWithin != 14*24*time.Hour {
		t.Errorf("retention = %+v", r)
	}
	if b.Strategy != "full" || !reflect.DeepEqual(b.Verify, Verify{Checksums: true}) {
		t.Errorf("strategy %q verify %+v", b.Strategy, b.Verify)
	}
	checkRefs(t, "depends_on", b.DependsOn, "backup.db")
	checkRefs(t, "after", b.After, "step.http.ping")
	if cfg.Backups["backup.db"].Strategy != "incremental" || cfg.Backups["backup.db"].Retention != nil {
		t.Errorf("backup.db defaults wrong: %+v", cfg.Backups["backup.db"])
	}
	rs := cfg.Restores["restore.site"]
	if rs.To != filepath.Join(cfg.Dir, "restored") || !reflect.DeepEqual(rs.Include, []string{"docs/**", "*.html"}) {
		t.Errorf("restore = %+v", rs)
	}
	checkRefs(t, "from", []Ref{rs.From}, "backup.nightly")
	checkRefs(t, "restore sources", rs.Sources, "source.files.site")
	// A local computed from a sensitive variable is sensitive too.
	for _, s := range []string{"default-token-value", "Bearer default-token-value"} {
		if !contains(cfg.Secrets, s) {
			t.Errorf("Secrets %q lack %q", cfg.Secrets, s)
		}
	}
	if !cfg.Variables["token"].Value.IsMarked() || !cfg.Locals["header"].Value.IsMarked() {
		t.Error("sensitive values are not marked")
	}
	if cfg.Locals["name"].Value.IsMarked() {
		t.Error("a non-sensitive local is marked")
	}
}

func TestLoadDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "velin.hcl"), "source \"files\" \"a\" {\n  paths = [\"a\"]\n}\n")
	writeFile(t, filepath.Join(dir, "targets.velin.hcl"), "target \"local\" \"t\" {\n  path = \"t\"\n}\n")
	writeFile(t, filepath.Join(dir, "backups.velin.hcl"), "backup \"b\" {\n  sources = [source.files.a]\n  target = target.local.t\n}\n")
	writeFile(t, filepath.Join(dir, "other.hcl"), "this is not loaded {")
	cfg := mustLoad(t, LoadOptions{Path: dir})
	want := []string{filepath.Join(dir, "backups.velin.hcl"), filepath.Join(dir, "targets.velin.hcl"), filepath.Join(dir, "velin.hcl")}
	if !reflect.DeepEqual(cfg.Files, want) {
		t.Errorf("Files = %v, want %v", cfg.Files, want)
	}
	if cfg.Backups["backup.b"] == nil {
		t.Error("backup across files not decoded")
	}
}

func TestLoadCurrentDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "velin.hcl"), StarterFile())
	t.Chdir(dir)
	cfg := mustLoad(t, LoadOptions{})
	if !reflect.DeepEqual(cfg.Files, []string{"velin.hcl"}) || cfg.Dir != dir {
		t.Errorf("Files %v Dir %q", cfg.Files, cfg.Dir)
	}
}

func TestLoadNoConfiguration(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.hcl"), "")
	_, _, diags := load(t, LoadOptions{Path: dir})
	if len(diags) != 1 || !strings.Contains(diags[0].Detail, "velin.hcl and *.velin.hcl") || !strings.Contains(diags[0].Detail, "velin init") {
		t.Fatalf("diags = %v", diags)
	}
	_, _, diags = load(t, LoadOptions{Path: filepath.Join(dir, "missing")})
	if !diags.HasErrors() || !strings.Contains(diags[0].Detail, "velin init") {
		t.Fatalf("missing path: diags = %v", diags)
	}
}

func TestDuplicateAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	src := "source \"files\" \"a\" {\n  paths = [\"a\"]\n}\n"
	writeFile(t, filepath.Join(dir, "a.velin.hcl"), src)
	writeFile(t, filepath.Join(dir, "b.velin.hcl"), "\n"+src)
	_, _, diags := load(t, LoadOptions{Path: dir})
	if len(diags) != 1 {
		t.Fatalf("diags = %v", diags)
	}
	d := diags[0]
	first := filepath.Join(dir, "a.velin.hcl") + ":1:1"
	if d.Subject.Filename != filepath.Join(dir, "b.velin.hcl") || d.Subject.Start.Line != 2 || !strings.Contains(d.Detail, first) {
		t.Errorf("duplicate diagnostic = %s at %v", d.Detail, d.Subject)
	}
}

func TestStarterFileLoads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, MainFile)
	writeFile(t, path, StarterFile())
	cfg := mustLoad(t, LoadOptions{Path: dir})
	b := cfg.Backups["backup.daily"]
	if b == nil || b.Retention == nil || !b.Verify.Checksums || !b.Verify.TestRestore {
		t.Fatalf("backup.daily = %+v", b)
	}
	if got := cfg.Sources["source.files.data"].Impl.(*fakeSource).Paths; !reflect.DeepEqual(got, []string{"./data"}) {
		t.Errorf("starter files source paths = %v", got)
	}
	if !strings.Contains(StarterFile(), `# source "sqlite"`) {
		t.Error("starter lacks the commented-out sqlite source")
	}
	// Without the passphrase, the error says which variable to set.
	_, _, diags := load(t, LoadOptions{Path: dir, Env: []string{}})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "VELIN_PASSPHRASE") {
		t.Errorf("without VELIN_PASSPHRASE: %v", diags)
	}
}

func TestHash(t *testing.T) {
	dir := t.TempDir()
	src := "variable \"v\" {\n  default = \"a\"\n}\nvariable \"s\" {\n  sensitive = true\n  default = \"hunter22\"\n}\n"
	writeFile(t, filepath.Join(dir, MainFile), src)
	h := func(vars ...string) string { return mustLoad(t, LoadOptions{Path: dir, Vars: vars}).Hash }
	base := h()
	if base != h() {
		t.Error("hash is not deterministic")
	}
	if base == h("v=b") {
		t.Error("hash ignores a variable value")
	}
	if base == h("s=other-secret") {
		t.Error("hash ignores a sensitive variable value")
	}
	writeFile(t, filepath.Join(dir, MainFile), src+"\n")
	if base == h() {
		t.Error("hash ignores file content")
	}
	if strings.Contains(base, "hunter22") {
		t.Error("hash contains the secret")
	}
}
