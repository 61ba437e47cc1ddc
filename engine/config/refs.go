package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// refParts is how many names an address of each referenceable kind has.
var refParts = map[string]int{"source": 3, "target": 3, "step": 3, "backup": 2, "restore": 2, "notify": 3}

// refForm shows the form of a reference of each kind, for messages.
var refForm = map[string]string{
	"source": "source.<type>.<name>", "target": "target.<type>.<name>", "step": "step.<type>.<name>",
	"backup": "backup.<name>", "restore": "restore.<name>", "notify": "notify.<kind>.<name>",
}

// refList decodes attr as a list of references of the allowed kinds.
// References are read as traversals, never evaluated.
func (l *loader) refList(attr *hcl.Attribute, allowed ...string) ([]Ref, hcl.Diagnostics) {
	exprs, d := hcl.ExprList(attr.Expr)
	if d.HasErrors() {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid reference list",
			Detail:   fmt.Sprintf("The %q argument must be a list of references, like [%s].", attr.Name, example(allowed[0])),
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	var refs []Ref
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{}
	for _, expr := range exprs {
		ref, d := l.ref(attr.Name, expr, allowed...)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if first, dup := seen[ref.Addr]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate reference",
				Detail:   fmt.Sprintf("%s is already listed in %q at %s. Remove one of them.", ref.Addr, attr.Name, posString(first)),
				Subject:  ref.Range.Ptr(),
			})
			continue
		}
		seen[ref.Addr] = ref.Range
		refs = append(refs, ref)
	}
	return refs, diags
}

// ref decodes one reference of the allowed kinds and checks that the block
// it names is declared.
func (l *loader) ref(arg string, expr hcl.Expression, allowed ...string) (Ref, hcl.Diagnostics) {
	addr, kind, rng, ok := traversalAddr(expr)
	if !ok {
		return Ref{}, hcl.Diagnostics{invalidRef(arg, expr, allowed)}
	}
	if !contains(allowed, kind) {
		return Ref{}, hcl.Diagnostics{wrongKind(arg, addr, kind, rng, allowed)}
	}
	if n := strings.Count(addr, ".") + 1; n != refParts[kind] {
		return Ref{}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid reference",
			Detail:   fmt.Sprintf("%s is not a complete reference: a %s reference has the form %s, like %s.", addr, kind, refForm[kind], example(kind)),
			Subject:  rng.Ptr(),
		}}
	}
	if _, declared := l.declared[addr]; !declared {
		return Ref{}, hcl.Diagnostics{l.undeclaredBlock(addr, kind, rng)}
	}
	return Ref{Addr: addr, Range: rng}, nil
}

// traversalAddr reads expr as a dotted reference like source.files.site,
// returning the address, its kind (first name) and range.
func traversalAddr(expr hcl.Expression) (string, string, hcl.Range, bool) {
	trav, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() {
		return "", "", hcl.Range{}, false
	}
	names := []string{trav.RootName()}
	for _, step := range trav[1:] {
		attr, ok := step.(hcl.TraverseAttr)
		if !ok {
			return "", "", hcl.Range{}, false
		}
		names = append(names, attr.Name)
	}
	return strings.Join(names, "."), names[0], trav.SourceRange(), true
}

func invalidRef(arg string, expr hcl.Expression, allowed []string) *hcl.Diagnostic {
	hint := ""
	if _, isTemplate := expr.(*hclsyntax.TemplateExpr); isTemplate {
		hint = " Write references without quotes."
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid reference",
		Detail:   fmt.Sprintf("The %q argument takes references like %s, not computed values.%s", arg, example(allowed[0]), hint),
		Subject:  expr.Range().Ptr(),
	}
}

func wrongKind(arg, addr, kind string, rng hcl.Range, allowed []string) *hcl.Diagnostic {
	kinds := make([]string, len(allowed))
	for i, a := range allowed {
		kinds[i] = plural(a)
	}
	what := "not a reference to a block"
	if _, ok := refParts[kind]; ok {
		what = "a " + kind
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Wrong kind of reference",
		Detail: fmt.Sprintf("The %q argument takes references to %s, like %s; %s is %s.",
			arg, strings.Join(kinds, " or "), example(allowed[0]), addr, what),
		Subject: rng.Ptr(),
	}
}

// undeclaredBlock reports a reference to a block that does not exist,
// suggesting the closest declared address, preferably of the same kind.
func (l *loader) undeclaredBlock(addr, kind string, rng hcl.Range) *hcl.Diagnostic {
	var same, all []string
	for a := range l.declared {
		all = append(all, a)
		if strings.HasPrefix(a, kind+".") {
			same = append(same, a)
		}
	}
	sort.Strings(same)
	hint := didYouMean(addr, same)
	if hint == "" {
		hint = didYouMean(addr, all)
	}
	declared := ""
	if len(same) > 0 {
		declared = fmt.Sprintf(" Declared %s: %s.", plural(kind), strings.Join(same, ", "))
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Reference to undeclared " + kind,
		Detail:   fmt.Sprintf("There is no %s declared as %s.%s%s", kind, addr, hint, declared),
		Subject:  rng.Ptr(),
	}
}

// example is a sample reference of a kind.
func example(kind string) string {
	switch kind {
	case "source":
		return "source.files.site"
	case "target":
		return "target.local.disk"
	case "step":
		return "step.exec.notify"
	case "backup":
		return "backup.nightly"
	case "notify":
		return "notify.webhook.ops"
	}
	return kind + ".name"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// plural names the blocks of a kind: "sources", "notify blocks".
func plural(kind string) string {
	if kind == "notify" {
		return "notify blocks"
	}
	return kind + "s"
}
