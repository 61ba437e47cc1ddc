package config

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// valueSource is one value given for a variable: an HCL value (a default,
// a -var-file attribute) or a raw string (-var, VELIN_VAR_name).
type valueSource struct {
	value  cty.Value
	raw    *string
	origin string     // for messages: "-var", "-var-file x.hcl", …
	rng    *hcl.Range // where it was written, when in a file
}

// givenValues collects values from, in increasing precedence, the
// environment, -var-files and -vars; the last one for a name wins.
func (l *loader) givenValues() (map[string]*valueSource, hcl.Diagnostics) {
	given := map[string]*valueSource{}
	for name := range l.cfg.Variables {
		if raw, ok := l.env[envVarPrefix+name]; ok {
			given[name] = &valueSource{raw: &raw, origin: "environment variable " + envVarPrefix + name}
		}
	}
	var diags hcl.Diagnostics
	for _, path := range l.opts.VarFiles {
		diags = append(diags, l.varFile(path, given)...)
	}
	for i, arg := range l.opts.Vars {
		diags = append(diags, l.varArg(i, arg, given)...)
	}
	return given, diags
}

// varFile reads one -var-file into given.
func (l *loader) varFile(path string, given map[string]*valueSource) hcl.Diagnostics {
	src, err := os.ReadFile(path)
	if err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read variables file",
			Detail:   fmt.Sprintf("-var-file %s: %v.", path, unwrapPathError(err)),
		}}
	}
	if d := checkNesting(src, path, hcl.InitialPos); d.HasErrors() {
		return d
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if f != nil {
		l.files[path] = f
	}
	if diags.HasErrors() {
		return diags
	}
	attrs, diags := f.Body.JustAttributes()
	for _, attr := range sortedAttrs(attrs) {
		if _, ok := l.cfg.Variables[attr.Name]; !ok {
			diags = append(diags, l.undeclaredValue(attr.Name, "-var-file "+path, attr.NameRange.Ptr()))
			continue
		}
		val, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		if !d.HasErrors() {
			given[attr.Name] = &valueSource{value: val, origin: "-var-file " + path, rng: attr.Expr.Range().Ptr()}
		}
	}
	return diags
}

// varArg reads one "-var name=value" into given.
func (l *loader) varArg(i int, arg string, given map[string]*valueSource) hcl.Diagnostics {
	name, raw, ok := strings.Cut(arg, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid -var argument",
			Detail:   fmt.Sprintf("-var argument %d is not of the form name=value. Write it as -var 'name=value'.", i+1),
		}}
	}
	if _, ok := l.cfg.Variables[name]; !ok {
		return hcl.Diagnostics{l.undeclaredValue(name, "-var", nil)}
	}
	given[name] = &valueSource{raw: &raw, origin: "-var"}
	return nil
}

func (l *loader) undeclaredValue(name, origin string, rng *hcl.Range) *hcl.Diagnostic {
	var names []string
	for n := range l.cfg.Variables {
		names = append(names, n)
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Value for undeclared variable",
		Detail: fmt.Sprintf("%s sets %q, but no variable %q is declared.%s Declare it with a variable %q block, or remove the value.",
			origin, name, name, didYouMean(name, names), name),
		Subject: rng,
	}
}

// secrets is what the given value looks like in text, before conversion:
// a sensitive variable's value is redacted even when it fails to convert.
func (s *valueSource) secrets() []string {
	if s.raw != nil {
		return []string{*s.raw}
	}
	return leafStrings(s.value)
}

// convert turns the given value into v's type. Messages never include the
// value itself: it may be a secret.
func (s *valueSource) convert(v *Variable) (cty.Value, hcl.Diagnostics) {
	val, err := s.value, error(nil)
	if s.raw != nil {
		val, err = parseRaw(*s.raw, v.Type)
	}
	if err == nil {
		val, err = convert.Convert(val, v.Type)
	}
	if err == nil {
		return val, nil
	}
	subject := s.rng
	if subject == nil {
		subject = v.DeclRange.Ptr()
	}
	return cty.DynamicVal, hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid value for variable",
		Detail: fmt.Sprintf("The value from %s for variable %q is not a valid %s: %v.",
			s.origin, v.Name, typeexpr.TypeString(v.Type), err),
		Subject: subject,
	}}
}

// parseRaw reads a command-line or environment value. Strings (and
// variables without a type) take the text as is; numbers and bools are
// converted from it; other types are parsed as an HCL expression, e.g.
// ["a", "b"] or {k = "v"}.
func parseRaw(raw string, ty cty.Type) (cty.Value, error) {
	if ty.IsPrimitiveType() || ty == cty.DynamicPseudoType {
		return cty.StringVal(raw), nil
	}
	if d := checkNesting([]byte(raw), "value", hcl.InitialPos); d.HasErrors() {
		return cty.NilVal, fmt.Errorf("it is nested more than %d levels deep", MaxNesting)
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), "value", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("cannot parse it as an HCL value (write lists as [\"a\", \"b\"] and maps as {k = \"v\"})")
	}
	val, diags := expr.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("it must be a literal value, without references or function calls")
	}
	return val, nil
}

// sortedAttrs returns attrs in source order.
func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Range, out[j].Range
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
	return out
}

// leafStrings lists the string and number leaves of v (marks ignored):
// what a secret looks like once printed.
func leafStrings(v cty.Value) []string {
	v, _ = v.UnmarkDeep()
	var out []string
	_ = cty.Walk(v, func(_ cty.Path, x cty.Value) (bool, error) {
		if x.IsNull() || !x.IsKnown() {
			return false, nil
		}
		switch x.Type() {
		case cty.String:
			out = append(out, x.AsString())
		case cty.Number:
			out = append(out, x.AsBigFloat().Text('f', -1))
		}
		return true, nil
	})
	return out
}

// uniqueSecrets drops empty and repeated secrets, longest first.
func uniqueSecrets(secrets []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range secrets {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}
