package config

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/velinhq/velin/engine/redact"
)

// sensitiveMark marks the values of sensitive variables (and whatever is
// computed from them in locals).
const sensitiveMark = "sensitive"

// envVarPrefix names the environment variables that set variable values.
const envVarPrefix = "VELIN_VAR_"

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"}, {Name: "default"}, {Name: "sensitive"}, {Name: "description"},
	},
}

// decodeVariables decodes the variable blocks and assigns their values.
func (l *loader) decodeVariables(blocks []*hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	defaults := map[string]*valueSource{}
	for _, blk := range blocks {
		v, def, d := decodeVariable(blk)
		diags = append(diags, d...)
		if first, dup := l.cfg.Variables[v.Name]; dup {
			diags = append(diags, duplicate("variable", "variable "+fmt.Sprintf("%q", v.Name), first.DeclRange, v.DeclRange))
			continue
		}
		if d.HasErrors() {
			l.failed["var."+v.Name] = true
		}
		l.cfg.Variables[v.Name] = v
		if def != nil {
			defaults[v.Name] = def
		}
	}
	given, d := l.givenValues()
	diags = append(diags, d...)
	for _, name := range sortedKeys(l.cfg.Variables) {
		v := l.cfg.Variables[name]
		diags = append(diags, l.assignDefault(v, defaults[name])...)
		src := defaults[name]
		if g, ok := given[name]; ok {
			src = g
		}
		diags = append(diags, l.assign(v, src)...)
	}
	return diags
}

// decodeVariable decodes one variable block's own arguments. The default
// comes back as a valueSource, not yet converted.
func decodeVariable(blk *hcl.Block) (*Variable, *valueSource, hcl.Diagnostics) {
	v := &Variable{Name: blk.Labels[0], Type: cty.DynamicPseudoType, DeclRange: blk.DefRange}
	content, diags := blk.Body.Content(variableSchema)
	if attr, ok := content.Attributes["type"]; ok {
		ty, d := typeexpr.TypeConstraint(attr.Expr)
		diags = append(diags, d...)
		if !d.HasErrors() {
			v.Type = ty
		}
	}
	if attr, ok := content.Attributes["sensitive"]; ok {
		diags = append(diags, literal(attr, cty.Bool, func(x cty.Value) { v.Sensitive = x.True() })...)
	}
	if attr, ok := content.Attributes["description"]; ok {
		diags = append(diags, literal(attr, cty.String, func(x cty.Value) { v.Description = x.AsString() })...)
	}
	var def *valueSource
	if attr, ok := content.Attributes["default"]; ok {
		val, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		if !d.HasErrors() {
			def = &valueSource{value: val, origin: "default", rng: attr.Expr.Range().Ptr()}
		}
	}
	return v, def, diags
}

// literal evaluates attr without variables or functions, converts it to ty
// and hands a known, non-null result to set.
func literal(attr *hcl.Attribute, ty cty.Type, set func(cty.Value)) hcl.Diagnostics {
	val, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	val, err := convert.Convert(val, ty)
	if err != nil || !val.IsWhollyKnown() || val.IsNull() {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Incorrect attribute value type",
			Detail:   fmt.Sprintf("The %q argument must be a %s.", attr.Name, typeexpr.TypeString(ty)),
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	set(val)
	return nil
}

// assignDefault converts the default to v's type into v.Default. A bad
// default is an error even when a value is given.
func (l *loader) assignDefault(v *Variable, def *valueSource) hcl.Diagnostics {
	if def == nil || l.failed["var."+v.Name] {
		return nil
	}
	if v.Sensitive {
		l.cfg.Secrets = append(l.cfg.Secrets, def.secrets()...)
	}
	val, diags := def.convert(v)
	if diags.HasErrors() {
		l.failed["var."+v.Name] = true
		return diags
	}
	if v.Sensitive {
		val = val.Mark(sensitiveMark)
	}
	v.Default = val
	return nil
}

// assign converts src to v's type and stores it as v.Value, marking and
// collecting it when v is sensitive.
func (l *loader) assign(v *Variable, src *valueSource) hcl.Diagnostics {
	v.Value = cty.DynamicVal
	if l.failed["var."+v.Name] {
		return nil
	}
	if src == nil {
		l.failed["var."+v.Name] = true
		return hcl.Diagnostics{missingValue(v)}
	}
	if v.Sensitive {
		l.cfg.Secrets = append(l.cfg.Secrets, src.secrets()...)
	}
	val, diags := src.convert(v)
	if diags.HasErrors() {
		l.failed["var."+v.Name] = true
		return diags
	}
	if v.Sensitive {
		secrets := leafStrings(val)
		l.cfg.Secrets = append(l.cfg.Secrets, secrets...)
		l.cfg.Advice = append(l.cfg.Advice, shortSecretWarning(v, secrets)...)
		val = val.Mark(sensitiveMark)
	}
	v.Value = val
	return diags
}

func missingValue(v *Variable) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "No value for required variable",
		Detail: fmt.Sprintf("Variable %q has no default and no value was given. Set it with -var '%s=…', in a -var-file, or with the environment variable %s%s; or give it a default.",
			v.Name, v.Name, envVarPrefix, v.Name),
		Subject: v.DeclRange.Ptr(),
	}
}

// shortSecretWarning advises against a sensitive value too short for the
// output search (redact.MinSearchLen).
func shortSecretWarning(v *Variable, secrets []string) hcl.Diagnostics {
	for _, s := range secrets {
		if !redact.Searchable(s) {
			return hcl.Diagnostics{shortSecretDiag(fmt.Sprintf("variable %q", v.Name), v.DeclRange)}
		}
	}
	return nil
}

// shortSecretDiag is the advice about a short secret of what, declared at rng.
func shortSecretDiag(what string, rng hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  "Sensitive value too short to be found in output",
		Detail: fmt.Sprintf("A sensitive value of %s is shorter than %d characters. velin never prints it where it knows it is a secret, but it does not search the text that steps and errors print for values this short (they look like ordinary words), so a step that echoes it would show it. Use a longer value.",
			what, redact.MinSearchLen),
		Subject: rng.Ptr(),
	}
}

// sortedKeys returns m's keys in order, for deterministic diagnostics.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
