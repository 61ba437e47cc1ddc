package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func TestWriteDiagnostics(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, MainFile)
	writeFile(t, path, "source \"files\" \"site\" {\n\tpathz = [\"./site\"]\n}\n")
	cfg, files, diags := load(t, LoadOptions{Path: path})
	var b strings.Builder
	if err := WriteDiagnostics(&b, files, diags, false, cfg.Secrets...); err != nil {
		t.Fatal(err)
	}
	want := path + `:1:23: error: Missing required argument
    1 | source "files" "site" {
      |                       ^
  The argument "paths" is required, but no definition was found.

` + path + `:2:2: error: Unsupported argument
    2 | 	pathz = ["./site"]
      | 	^^^^^
  An argument named "pathz" is not expected here. Did you mean "paths"?
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := WriteDiagnostics(&b, files, diags, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), ansiRed+"error:"+ansiReset) || !strings.Contains(b.String(), "\t"+ansiRed+"^^^^^"+ansiReset) {
		t.Errorf("colored output:\n%q", b.String())
	}
}

func TestWriteDiagnosticsMultiLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, MainFile)
	// A wrong type on a value spanning lines marks every line of it.
	writeFile(t, path, "source \"files\" \"s\" {\n  paths = [\"s\"]\n}\ntarget \"local\" \"t\" {\n  path = \"t\"\n}\n"+
		"backup \"b\" {\n  sources = [source.files.s]\n  target = target.local.t\n  retention {\n    keep_within = {\n      a = \"é\"\n    }\n  }\n}\n")
	_, files, diags := load(t, LoadOptions{Path: path})
	var b strings.Builder
	if err := WriteDiagnostics(&b, files, diags, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		path + ":11:19: error: Incorrect attribute value type",
		"   11 |     keep_within = {\n      |                   ^\n",
		"   12 |       a = \"é\"\n      | ^^^^^^^^^^^^^\n",
		"   13 |     }\n      | ^^^^^\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

func TestWriteDiagnosticsWithoutSubject(t *testing.T) {
	_, files, diags := load(t, LoadOptions{Path: t.TempDir()})
	var b strings.Builder
	if err := WriteDiagnostics(&b, files, diags, false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "error: No velin configuration found\n  Looked for velin.hcl") {
		t.Errorf("got %q", b.String())
	}
}

func TestRedact(t *testing.T) {
	c := &Config{Secrets: uniqueSecrets([]string{"abcd", "abcdefgh", "", "abcd"})}
	if got := c.Redact("x abcdefgh y abcd z"); got != "x (sensitive) y abcd z" {
		t.Errorf("Redact = %q", got)
	}
	if len(c.Secrets) != 2 || c.Secrets[0] != "abcdefgh" {
		t.Errorf("uniqueSecrets = %q", c.Secrets)
	}
	var nilCfg *Config
	if nilCfg.Redact("x") != "x" {
		t.Error("nil Config redacts")
	}
}

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"30d": 30 * 24 * time.Hour, "12h": 12 * time.Hour, "2w": 14 * 24 * time.Hour,
		"1d12h": 36 * time.Hour, "90m": 90 * time.Minute, "45s": 45 * time.Second, "0d": 0,
	}
	for s, want := range good {
		if got, err := ParseDuration(s); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "d", "30", "30x", "30days", "-1d", "1.5d", "99999999999999999999d", "15300w", " 1d"} {
		if got, err := ParseDuration(s); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", s, got)
		}
	}
}

func TestSuggest(t *testing.T) {
	cands := []string{"paths", "path", "exclude", "source.files.site"}
	cases := map[string]string{"pathz": "path", "exlude": "exclude", "source.files.sitee": "source.files.site", "zzz": ""}
	for in, want := range cases {
		if got := suggest(in, cands); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
	if levenshtein("kitten", "sitting") != 3 || levenshtein("", "abc") != 3 || levenshtein("é", "e") != 1 {
		t.Error("levenshtein is wrong")
	}
}

func TestWriteDiagnosticsMasksShortLiteralSecrets(t *testing.T) {
	src := []byte("variable \"pin\" {\n  sensitive = true\n  default   = \"123\"\n  bad = 1\n}\n")
	f, _ := hclsyntax.ParseConfig(src, "v.hcl", hcl.InitialPos)
	rng := hcl.Range{Filename: "v.hcl", Start: hcl.Pos{Line: 3, Column: 3, Byte: 36}, End: hcl.Pos{Line: 4, Column: 10, Byte: 63}}
	var b strings.Builder
	diags := hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Bad", Detail: "pin 123 x", Subject: &rng}}
	if err := WriteDiagnostics(&b, map[string]*hcl.File{"v.hcl": f}, diags, false, "123"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `default   = "(sensitive)"`) || !strings.Contains(b.String(), "pin 123 x") {
		t.Fatalf("got:\n%s", b.String())
	}
}
