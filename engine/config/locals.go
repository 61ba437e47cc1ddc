package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// decodeLocals collects the attributes of every locals block and
// evaluates them in dependency order.
func (l *loader) decodeLocals(blocks []*hcl.Block) hcl.Diagnostics {
	exprs := map[string]hcl.Expression{}
	var diags hcl.Diagnostics
	for _, blk := range blocks {
		attrs, d := blk.Body.JustAttributes()
		diags = append(diags, d...)
		for _, attr := range sortedAttrs(attrs) {
			if first, dup := l.cfg.Locals[attr.Name]; dup {
				diags = append(diags, duplicate("local value", "local."+attr.Name, first.DeclRange, attr.NameRange))
				continue
			}
			l.cfg.Locals[attr.Name] = &Local{Name: attr.Name, Value: cty.DynamicVal, DeclRange: attr.NameRange}
			exprs[attr.Name] = attr.Expr
		}
	}
	order, deps, d := l.localOrder(exprs)
	diags = append(diags, d...)
	vars := l.markedVars()
	for _, name := range order {
		diags = append(diags, l.evalLocal(name, exprs[name], vars, deps[name])...)
	}
	return diags
}

// localOrder sorts locals so each comes after those it uses, reporting
// references to undeclared names and cycles.
func (l *loader) localOrder(exprs map[string]hcl.Expression) ([]string, map[string][]string, hcl.Diagnostics) {
	names := make([]string, 0, len(exprs))
	for n := range exprs {
		names = append(names, n)
	}
	sort.Strings(names)
	var diags hcl.Diagnostics
	deps := map[string][]string{}
	for _, n := range names {
		d, _ := l.checkRefs(exprs[n])
		diags = append(diags, d...)
		deps[n] = localDeps(exprs[n], exprs)
	}
	t := &topo{deps: deps, state: map[string]int{}}
	for _, n := range names {
		t.visit(n, nil)
	}
	for _, cycle := range t.cycles {
		for _, n := range cycle {
			l.failed["local."+n] = true
		}
		diags = append(diags, l.cycleDiag(cycle))
	}
	return t.order, deps, diags
}

// localDeps lists the declared locals expr refers to.
func localDeps(expr hcl.Expression, exprs map[string]hcl.Expression) []string {
	var out []string
	for _, t := range expr.Variables() {
		if name, ok := refName(t, "local"); ok {
			if _, declared := exprs[name]; declared {
				out = append(out, name)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (l *loader) cycleDiag(cycle []string) *hcl.Diagnostic {
	path := make([]string, 0, len(cycle)+1)
	for _, n := range cycle {
		path = append(path, "local."+n)
	}
	path = append(path, "local."+cycle[0])
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Cycle among local values",
		Detail:   fmt.Sprintf("These local values refer to each other: %s. Break the cycle so each value can be computed from the ones before it.", strings.Join(path, " → ")),
		Subject:  l.cfg.Locals[cycle[0]].DeclRange.Ptr(),
	}
}

// topo is a depth-first topological sort that records cycles.
type topo struct {
	deps   map[string][]string
	state  map[string]int // 0 new, 1 on the stack, 2 done
	order  []string
	cycles [][]string
}

func (t *topo) visit(n string, stack []string) {
	switch t.state[n] {
	case 1:
		for i, s := range stack {
			if s == n {
				t.cycles = append(t.cycles, append([]string(nil), stack[i:]...))
			}
		}
		return
	case 2:
		return
	}
	t.state[n] = 1
	for _, d := range t.deps[n] {
		t.visit(d, append(stack, n))
	}
	t.state[n] = 2
	t.order = append(t.order, n)
}

// evalLocal evaluates one local with marked values, so a local computed
// from a sensitive variable is itself collected as a secret. Its context
// holds only the locals it refers to (deps): building a context of every
// local for each one would make n locals cost n².
func (l *loader) evalLocal(name string, expr hcl.Expression, vars cty.Value, deps []string) hcl.Diagnostics {
	if l.failed["local."+name] || l.usesFailed(expr) {
		l.failed["local."+name] = true
		return nil
	}
	locals := make(map[string]cty.Value, len(deps))
	for _, d := range deps {
		locals[d] = l.cfg.Locals[d].Value
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": vars, "local": cty.ObjectVal(locals)},
		Functions: l.functions(),
	}
	val, diags := expr.Value(ctx)
	if diags.HasErrors() {
		l.failed["local."+name] = true
		if l.usesSensitive(expr) {
			hideDetails(diags)
		}
		return diags
	}
	l.cfg.Secrets = append(l.cfg.Secrets, markedStrings(val)...)
	l.cfg.Locals[name].Value = val
	return diags
}

// usesSensitive says whether expr refers to a sensitive variable or to a
// local computed from one.
func (l *loader) usesSensitive(expr hcl.Expression) bool {
	for _, t := range expr.Variables() {
		if name, ok := refName(t, "var"); ok {
			if v := l.cfg.Variables[name]; v != nil && v.Sensitive {
				return true
			}
		}
		if name, ok := refName(t, "local"); ok {
			if lv := l.cfg.Locals[name]; lv != nil && lv.Value.ContainsMarked() {
				return true
			}
		}
	}
	return false
}

// hideDetails replaces the details of errors in an expression that uses a
// sensitive value: a function's message may quote its argument (a secret
// of any length), which the output search would not catch when short.
func hideDetails(diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			d.Detail = "The details are hidden because the expression uses a sensitive value; check the values it uses."
		}
	}
}

// markedVars is the var object with sensitive values marked.
func (l *loader) markedVars() cty.Value {
	vars := map[string]cty.Value{}
	for n, v := range l.cfg.Variables {
		vars[n] = v.Value
	}
	return cty.ObjectVal(vars)
}

// markedContext has the variables and locals computed so far, with marks.
func (l *loader) markedContext() *hcl.EvalContext {
	locals := map[string]cty.Value{}
	for n, lv := range l.cfg.Locals {
		locals[n] = lv.Value
	}
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": l.markedVars(), "local": cty.ObjectVal(locals)},
		Functions: l.functions(),
	}
}

// functions is the function table, built once.
func (l *loader) functions() map[string]function.Function {
	if l.funcs == nil {
		l.funcs = functions(l.env, l.cfg.Dir, l.opts.Now)
	}
	return l.funcs
}

// markedStrings lists the printed forms of the sensitive parts of v.
func markedStrings(v cty.Value) []string {
	unmarked, pvms := v.UnmarkDeepWithPaths()
	var out []string
	for _, pvm := range pvms {
		if _, ok := pvm.Marks[sensitiveMark]; !ok {
			continue
		}
		if part, err := pvm.Path.Apply(unmarked); err == nil {
			out = append(out, leafStrings(part)...)
		}
	}
	return out
}

// refName returns the attribute name of a traversal rooted at root
// ("var.x…" → "x").
func refName(t hcl.Traversal, root string) (string, bool) {
	if t.RootName() != root || len(t) < 2 {
		return "", false
	}
	attr, ok := t[1].(hcl.TraverseAttr)
	return attr.Name, ok
}

// checkRefs reports references to undeclared variables and locals in
// expr, and whether expr uses one whose value failed.
func (l *loader) checkRefs(expr hcl.Expression) (hcl.Diagnostics, bool) {
	var diags hcl.Diagnostics
	failed := false
	for _, t := range expr.Variables() {
		for _, root := range []string{"var", "local"} {
			name, ok := refName(t, root)
			if !ok {
				continue
			}
			failed = failed || l.failed[root+"."+name]
			if d := l.undeclaredRef(root, name, t.SourceRange()); d != nil {
				diags = append(diags, d)
				failed = true
			}
		}
	}
	return diags, failed
}

func (l *loader) usesFailed(expr hcl.Expression) bool {
	_, failed := l.checkRefs(expr)
	return failed
}

// undeclaredRef reports var.name or local.name when it is not declared.
func (l *loader) undeclaredRef(root, name string, rng hcl.Range) *hcl.Diagnostic {
	var names []string
	what, fix := "variable", fmt.Sprintf("Declare it with a variable %q block.", name)
	if root == "var" {
		if _, ok := l.cfg.Variables[name]; ok {
			return nil
		}
		for n := range l.cfg.Variables {
			names = append(names, n)
		}
	} else {
		if _, ok := l.cfg.Locals[name]; ok {
			return nil
		}
		for n := range l.cfg.Locals {
			names = append(names, n)
		}
		what, fix = "local value", fmt.Sprintf("Define it in a locals block: %s = ….", name)
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Reference to undeclared " + what,
		Detail:   fmt.Sprintf("There is no %s named %q.%s %s", what, name, didYouMean(name, names), fix),
		Subject:  rng.Ptr(),
	}
}

// bodyExprs lists every expression of a native-syntax body, nested blocks
// included.
func bodyExprs(body hcl.Body) []hcl.Expression {
	b, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	var out []hcl.Expression
	for _, a := range sortedSyntaxAttrs(b.Attributes) {
		out = append(out, a.Expr)
	}
	for _, blk := range b.Blocks {
		out = append(out, bodyExprs(blk.Body)...)
	}
	return out
}

func sortedSyntaxAttrs(attrs hclsyntax.Attributes) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}
