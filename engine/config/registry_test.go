package config

import (
	"context"
	"errors"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sqlassert"
)

// The fakes below stand in for the real providers (written elsewhere):
// they decode a few attributes and record what they got.

var errFake = errors.New("fake provider")

type fakeSource struct {
	Type    string
	Paths   []string `hcl:"paths,optional"`
	Exclude []string `hcl:"exclude,optional"`
	Path    string   `hcl:"path,optional"`
	Dir     string
	Attrs   map[string]cty.Value // permissive registry only
}

func (*fakeSource) Inspect(context.Context) (provider.Facts, error) { return provider.Facts{}, errFake }

// CanFilter: the fake file trees honour include, as the real ones do.
func (f *fakeSource) CanFilter() bool { return f.Type == "files" }
func (*fakeSource) Backup(context.Context, provider.Sink, provider.BackupOptions) (provider.Facts, error) {
	return provider.Facts{}, errFake
}
func (*fakeSource) PlanRestore(context.Context, provider.Tree, provider.RestoreOptions) ([]provider.Change, error) {
	return nil, errFake
}
func (*fakeSource) Restore(context.Context, provider.Tree, provider.RestoreOptions) error {
	return errFake
}
func (*fakeSource) TestRestore(context.Context, provider.Tree, provider.TestRestoreOptions) (provider.TestReport, error) {
	return provider.TestReport{}, errFake
}

// fakeSQLite is a fake sqlite source: it runs SQL assertions, as the real
// one does (files sources run none).
type fakeSQLite struct{ *fakeSource }

func (fakeSQLite) CheckAssert(a provider.Assert) error { return sqlassert.Check(a) }

type fakeTarget struct {
	Path       string `hcl:"path"`
	Passphrase string `hcl:"passphrase,optional"`
	Dir        string
	Attrs      map[string]cty.Value
}

func (*fakeTarget) Open(context.Context) (storage.Storage, error) { return nil, errFake }
func (t *fakeTarget) Repo() provider.RepoOptions {
	return provider.RepoOptions{Passphrase: t.Passphrase}
}
func (t *fakeTarget) Location() string { return t.Path }

type fakeStep struct {
	Command []string `hcl:"command,optional"`
	URL     string   `hcl:"url,optional"`
	Attrs   map[string]cty.Value
}

func (s *fakeStep) Describe() string                          { return strings.Join(s.Command, " ") + s.URL }
func (*fakeStep) Run(context.Context, provider.StepEnv) error { return errFake }

// filesBody, sqliteBody, … are the strict schemas of the test registry.
type filesBody struct {
	Paths   []string `hcl:"paths"`
	Exclude []string `hcl:"exclude,optional"`
}

type sqliteBody struct {
	Path string `hcl:"path"`
}

type execBody struct {
	Command []string `hcl:"command"`
}

type httpBody struct {
	URL    string `hcl:"url"`
	Method string `hcl:"method,optional"`
}

// testRegistry has strict fake types: files, sqlite (sources), local
// (target), exec and http (steps).
func testRegistry() *provider.Registry {
	return &provider.Registry{
		Sources: []provider.SourceType{
			{Name: "files", Decode: func(body hcl.Body, dc provider.DecodeContext) (provider.Source, hcl.Diagnostics) {
				var b filesBody
				diags := gohcl.DecodeBody(body, dc.Eval, &b)
				return &fakeSource{Type: "files", Paths: b.Paths, Exclude: b.Exclude, Dir: dc.Dir}, diags
			}},
			{Name: "sqlite", Decode: func(body hcl.Body, dc provider.DecodeContext) (provider.Source, hcl.Diagnostics) {
				var b sqliteBody
				diags := gohcl.DecodeBody(body, dc.Eval, &b)
				return fakeSQLite{&fakeSource{Type: "sqlite", Path: b.Path, Dir: dc.Dir}}, diags
			}},
		},
		Targets: []provider.TargetType{
			{Name: "local", Decode: func(body hcl.Body, dc provider.DecodeContext) (provider.Target, hcl.Diagnostics) {
				t := &fakeTarget{Dir: dc.Dir}
				diags := gohcl.DecodeBody(body, dc.Eval, t)
				dc.Secret(t.Passphrase)
				return t, diags
			}},
		},
		Steps: []provider.StepType{
			{Name: "exec", Decode: func(body hcl.Body, dc provider.DecodeContext) (provider.Step, hcl.Diagnostics) {
				var b execBody
				diags := gohcl.DecodeBody(body, dc.Eval, &b)
				return &fakeStep{Command: b.Command}, diags
			}},
			{Name: "http", Decode: func(body hcl.Body, dc provider.DecodeContext) (provider.Step, hcl.Diagnostics) {
				var b httpBody
				diags := gohcl.DecodeBody(body, dc.Eval, &b)
				return &fakeStep{URL: b.URL}, diags
			}},
		},
	}
}

// permissiveRegistry knows the same type names but accepts any argument
// and nested block, evaluating every argument (so references and function
// calls are still checked). Arguments named passphrase or password are
// registered as secrets.
func permissiveRegistry() *provider.Registry {
	decode := func(body hcl.Body, dc provider.DecodeContext) (map[string]cty.Value, hcl.Diagnostics) {
		attrs := map[string]cty.Value{}
		diags := evalAll(body, dc, attrs)
		return attrs, diags
	}
	src := func(name string) provider.SourceType {
		return provider.SourceType{Name: name, Decode: func(body hcl.Body, dc provider.DecodeContext) (provider.Source, hcl.Diagnostics) {
			attrs, diags := decode(body, dc)
			return &fakeSource{Type: name, Attrs: attrs, Dir: dc.Dir}, diags
		}}
	}
	step := func(name string) provider.StepType {
		return provider.StepType{Name: name, Decode: func(body hcl.Body, dc provider.DecodeContext) (provider.Step, hcl.Diagnostics) {
			attrs, diags := decode(body, dc)
			return &fakeStep{Attrs: attrs}, diags
		}}
	}
	return &provider.Registry{
		Sources: []provider.SourceType{src("files"), src("sqlite")},
		Targets: []provider.TargetType{{Name: "local", Decode: func(body hcl.Body, dc provider.DecodeContext) (provider.Target, hcl.Diagnostics) {
			attrs, diags := decode(body, dc)
			return &fakeTarget{Attrs: attrs, Dir: dc.Dir}, diags
		}}},
		Steps: []provider.StepType{step("exec"), step("http")},
	}
}

// evalAll evaluates every attribute of a native body, nested blocks
// included (their attributes are stored as "block.attr").
func evalAll(body hcl.Body, dc provider.DecodeContext, out map[string]cty.Value) hcl.Diagnostics {
	b := body.(*hclsyntax.Body)
	var diags hcl.Diagnostics
	for name, attr := range b.Attributes {
		v, d := attr.Expr.Value(dc.Eval)
		diags = append(diags, d...)
		out[name] = v
		if (name == "passphrase" || name == "password") && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
			dc.Secret(v.AsString())
		}
	}
	for _, blk := range b.Blocks {
		inner := map[string]cty.Value{}
		diags = append(diags, evalAll(blk.Body, dc, inner)...)
		for k, v := range inner {
			out[blk.Type+"."+k] = v
		}
	}
	return diags
}
