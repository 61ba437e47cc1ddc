package config

import (
	"math/big"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

const precedencePlan = `variable "v" {
  type    = string
  default = "from-default"
}
variable "n" {
  type    = number
  default = 1
}
variable "l" {
  type    = list(string)
  default = []
}
`

func TestVariablePrecedence(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, MainFile), precedencePlan)
	file1 := filepath.Join(dir, "one.vars")
	file2 := filepath.Join(dir, "two.vars")
	writeFile(t, file1, "v = \"from-file-1\"\nn = 2\n")
	writeFile(t, file2, "v = \"from-file-2\"\n")
	env := []string{"VELIN_VAR_v=from-env", "VELIN_VAR_n=3", "VELIN_VAR_undeclared=ignored"}
	cases := []struct {
		name     string
		env      []string
		varFiles []string
		vars     []string
		want     string
	}{
		{"default", nil, nil, nil, "from-default"},
		{"env over default", env, nil, nil, "from-env"},
		{"var-file over env", env, []string{file1}, nil, "from-file-1"},
		{"later var-file wins", env, []string{file1, file2}, nil, "from-file-2"},
		{"var over var-file", env, []string{file1, file2}, []string{"v=from-var"}, "from-var"},
		{"later var wins", env, nil, []string{"v=first", "v=second=with=equals"}, "second=with=equals"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := mustLoad(t, LoadOptions{Path: dir, Env: append([]string{}, c.env...), VarFiles: c.varFiles, Vars: c.vars})
			if got := cfg.Variables["v"].Value.AsString(); got != c.want {
				t.Errorf("v = %q, want %q", got, c.want)
			}
		})
	}
}

func TestVariableConversion(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, MainFile), precedencePlan)
	cfg := mustLoad(t, LoadOptions{Path: dir, Env: []string{"VELIN_VAR_n=42"}, Vars: []string{`l=["a", "b"]`}})
	if got := cfg.Variables["n"].Value; !got.RawEquals(cty.NumberVal(big.NewFloat(42))) {
		t.Errorf("n = %#v", got)
	}
	if got := cfg.Variables["l"].Value; !got.RawEquals(cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})) {
		t.Errorf("l = %#v", got)
	}
	if got := cfg.Variables["n"].Default; !got.RawEquals(cty.NumberIntVal(1)) {
		t.Errorf("n default = %#v", got)
	}
}

func TestVariableErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, MainFile), precedencePlan)
	badFile := filepath.Join(dir, "bad.vars")
	writeFile(t, badFile, "vv = \"x\"\n")
	cases := []struct {
		name string
		opts LoadOptions
		want []string // substrings of the single diagnostic
	}{
		{"undeclared -var", LoadOptions{Vars: []string{"vv=x"}}, []string{"Value for undeclared variable", `"vv"`, `Did you mean "v"?`}},
		{"undeclared in var-file", LoadOptions{VarFiles: []string{badFile}}, []string{"Value for undeclared variable", "bad.vars"}},
		{"no equals", LoadOptions{Vars: []string{"v"}}, []string{"Invalid -var argument", "name=value"}},
		{"not a number", LoadOptions{Vars: []string{"n=many"}}, []string{"Invalid value for variable", "from -var", "not a valid number"}},
		{"not a list", LoadOptions{Env: []string{"VELIN_VAR_l=[unclosed"}}, []string{"Invalid value for variable", "VELIN_VAR_l", "list(string)"}},
		{"missing var-file", LoadOptions{VarFiles: []string{filepath.Join(dir, "nope.vars")}}, []string{"Cannot read variables file", "nope.vars"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Path = dir
			_, _, diags := load(t, c.opts)
			if len(diags) != 1 {
				t.Fatalf("want 1 diagnostic, got %v", diags)
			}
			text := diags[0].Summary + ": " + diags[0].Detail
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("%q lacks %q", text, w)
				}
			}
		})
	}
}

func TestEnvFunction(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, MainFile), `locals {
  set      = env("A")
  fallback = env("UNSET", "dflt")
  empty    = env("EMPTY", "dflt")
}
`)
	cfg := mustLoad(t, LoadOptions{Path: dir, Env: []string{"A=one", "A=two", "EMPTY="}})
	got := map[string]string{}
	for n, l := range cfg.Locals {
		got[n] = l.Value.AsString()
	}
	want := map[string]string{"set": "two", "fallback": "dflt", "empty": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("locals = %v, want %v", got, want)
	}
}

func TestFileFunction(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "token.txt"), "tok\n")
	writeFile(t, filepath.Join(dir, MainFile), "locals {\n  t = trimspace(file(\"token.txt\"))\n}\n")
	cfg := mustLoad(t, LoadOptions{Path: dir})
	if got := cfg.Locals["t"].Value.AsString(); got != "tok" {
		t.Errorf("file() = %q", got)
	}
	writeFile(t, filepath.Join(dir, MainFile), "locals {\n  t = file(\"missing.txt\")\n}\n")
	_, _, diags := load(t, LoadOptions{Path: dir})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "missing.txt") || strings.Contains(diags[0].Detail, dir) {
		t.Errorf("file() of a missing file: %v", diags)
	}
}

// secretPlan uses a sensitive variable in ways that fail, so its value
// would show up in messages if anything leaked it.
const secretPlan = `variable "password" {
  type      = string
  sensitive = true
}
variable "count" {
  type      = number
  sensitive = true
  default   = 1
}
locals {
  dsn = "postgres://app:${var.password}@db/app"
  num = tonumber(var.password)
}
source "files" "site" {
  paths = var.password
}
target "local" "disk" {
  path       = "${local.dsn}${tonumber(var.password)}"
  passphrase = var.password
  bogus      = 1
}
`

func TestSensitiveValuesNeverShown(t *testing.T) {
	const secret = "s3cr3t-Pa55word"
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, MainFile), secretPlan)
	varFile := filepath.Join(dir, "secret.vars")
	writeFile(t, varFile, "count = \"not-a-number-"+secret+"\"\n")
	for _, opts := range []LoadOptions{
		{Path: dir, Vars: []string{"password=" + secret, "count=" + secret}},
		{Path: dir, Env: []string{"VELIN_VAR_password=" + secret}, VarFiles: []string{varFile}},
	} {
		cfg, files, diags := load(t, opts)
		if !diags.HasErrors() {
			t.Fatal("expected errors")
		}
		var out strings.Builder
		if err := WriteDiagnostics(&out, files, diags, true, cfg.Secrets...); err != nil {
			t.Fatal(err)
		}
		text := out.String()
		for _, d := range diags {
			text += d.Summary + d.Detail
		}
		if strings.Contains(text, secret) {
			t.Errorf("secret leaked:\n%s", text)
		}
		if !strings.Contains(out.String(), "Unsuitable value") || !strings.Contains(out.String(), "cannot convert") {
			t.Errorf("expected the type error in the output:\n%s", out.String())
		}
		if !contains(cfg.Secrets, secret) {
			t.Errorf("Secrets %q lack the sensitive value", cfg.Secrets)
		}
	}
}

func TestSensitiveDerivedValues(t *testing.T) {
	const secret = "s3cr3t-Pa55word"
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, MainFile), `variable "password" {
  sensitive = true
}
locals {
  dsn = "postgres://app:${var.password}@db/app"
  n   = length(var.password)
}
`)
	cfg := mustLoad(t, LoadOptions{Path: dir, Vars: []string{"password=" + secret}, Registry: permissiveRegistry()})
	dsn := "postgres://app:" + secret + "@db/app"
	if !contains(cfg.Secrets, dsn) || !contains(cfg.Secrets, secret) {
		t.Errorf("Secrets = %q", cfg.Secrets)
	}
	if got := cfg.Redact("connect " + dsn + " failed"); got != "connect (sensitive) failed" {
		t.Errorf("Redact = %q", got)
	}
}

func TestShortSecretWarning(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, MainFile), "variable \"pin\" {\n  sensitive = true\n  default = \"123\"\n}\n")
	cfg, _, diags := load(t, LoadOptions{Path: dir})
	if len(diags) != 0 {
		t.Fatalf("advice must not be a load diagnostic: %v", diags)
	}
	if len(cfg.Advice) != 1 || !strings.Contains(cfg.Advice[0].Summary, "too short") {
		t.Fatalf("advice = %v", cfg.Advice)
	}
	if got := cfg.Redact("pin 123 and 1234"); got != "pin 123 and 1234" {
		t.Errorf("short secrets must not be searched for: got %q", got)
	}
}
