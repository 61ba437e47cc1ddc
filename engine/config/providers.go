package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/velinhq/velin/engine/redact"
	"github.com/velinhq/velin/providers/provider"
)

// decodeProviders decodes every source, target and step block through its
// provider type.
func (l *loader) decodeProviders(b rootBlocks) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, blk := range b.sources {
		diags = append(diags, l.decodeSource(blk)...)
	}
	for _, blk := range b.targets {
		diags = append(diags, l.decodeTarget(blk)...)
	}
	for _, blk := range b.steps {
		diags = append(diags, l.decodeStep(blk)...)
	}
	return diags
}

func (l *loader) decodeSource(blk *hcl.Block) hcl.Diagnostics {
	typ, known := l.opts.Registry.Source(blk.Labels[0])
	return decodeProvider(l, blk, known, typ.Decode, func(impl provider.Source, deps []Ref) {
		s := &Source{Type: blk.Labels[0], Name: blk.Labels[1], Impl: impl, DependsOn: deps, DeclRange: blk.DefRange}
		l.cfg.Sources[s.Addr()] = s
	})
}

func (l *loader) decodeTarget(blk *hcl.Block) hcl.Diagnostics {
	typ, known := l.opts.Registry.Target(blk.Labels[0])
	return decodeProvider(l, blk, known, typ.Decode, func(impl provider.Target, deps []Ref) {
		t := &Target{Type: blk.Labels[0], Name: blk.Labels[1], Impl: impl, DependsOn: deps, DeclRange: blk.DefRange}
		l.cfg.Targets[t.Addr()] = t
	})
}

func (l *loader) decodeStep(blk *hcl.Block) hcl.Diagnostics {
	typ, known := l.opts.Registry.Step(blk.Labels[0])
	return decodeProvider(l, blk, known, typ.Decode, func(impl provider.Step, deps []Ref) {
		s := &Step{Type: blk.Labels[0], Name: blk.Labels[1], Impl: impl, DependsOn: deps, DeclRange: blk.DefRange}
		l.cfg.Steps[s.Addr()] = s
	})
}

// dependsOnSchema is the engine's own argument in provider blocks.
var dependsOnSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "depends_on"}}}

// decodeProvider decodes blk's depends_on itself, hands the rest of the
// body to its provider type's decoder, and stores what it decodes, unless
// anything went wrong.
func decodeProvider[T comparable](l *loader, blk *hcl.Block, known bool,
	decode func(hcl.Body, provider.DecodeContext) (T, hcl.Diagnostics), store func(T, []Ref)) hcl.Diagnostics {
	diags, ok := l.providerReady(blk, known)
	if !ok {
		return diags
	}
	content, rest, d := blk.Body.PartialContent(dependsOnSchema)
	diags = append(diags, d...)
	var deps []Ref
	addr := blk.Type + "." + strings.Join(blk.Labels, ".")
	diags = append(diags, l.dependsOn(content.Attributes, addr, &deps, "source", "step")...)
	impl, d := decode(rest, l.decodeContext(blk))
	diags = append(diags, dropFollowOns(d)...)
	var zero T
	if !diags.HasErrors() && impl != zero {
		store(impl, deps)
	}
	return diags
}

// providerReady says whether blk's body should go to its provider: not a
// duplicate, a known type, and no reference to an undeclared or failed
// variable or local (which would only cause follow-on errors).
func (l *loader) providerReady(blk *hcl.Block, known bool) (hcl.Diagnostics, bool) {
	if !l.isFirst(blk) {
		return nil, false
	}
	if !known {
		return hcl.Diagnostics{l.unknownType(blk)}, false
	}
	var diags hcl.Diagnostics
	failed := false
	for _, expr := range bodyExprs(blk.Body) {
		d, f := l.checkRefs(expr)
		diags = append(diags, d...)
		failed = failed || f
	}
	return diags, !failed
}

func (l *loader) unknownType(blk *hcl.Block) *hcl.Diagnostic {
	names := l.opts.Registry.Names(blk.Type)
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Unknown %s type", blk.Type),
		Detail: fmt.Sprintf("There is no %s type %q.%s Known %s types: %s.",
			blk.Type, blk.Labels[0], didYouMean(blk.Labels[0], names), blk.Type, quotedList(names, "and")),
		Subject: blk.LabelRanges[0].Ptr(),
	}
}

// decodeContext is what a provider gets: the unmarked evaluation context,
// the plan directory, a way to register secrets and to give advice, and a
// way to ask whether an expression is sensitive.
func (l *loader) decodeContext(blk *hcl.Block) provider.DecodeContext {
	addr := blk.Type + "." + strings.Join(blk.Labels, ".")
	short := false
	return provider.DecodeContext{
		Eval: l.ctx,
		Dir:  l.cfg.Dir,
		Secret: func(value string) {
			l.cfg.Secrets = append(l.cfg.Secrets, value)
			if value != "" && !redact.Searchable(value) && !short {
				short = true
				l.cfg.Advice = append(l.cfg.Advice, shortSecretDiag(addr, blk.DefRange))
			}
		},
		Advise: func(d *hcl.Diagnostic) {
			if d.Subject == nil {
				d.Subject = blk.DefRange.Ptr()
			}
			l.cfg.Advice = append(l.cfg.Advice, d)
		},
		Sensitive: l.sensitive,
	}
}

// sensitive says whether expr's value is (or contains) a sensitive value.
func (l *loader) sensitive(expr hcl.Expression) bool {
	if l.marked == nil {
		l.marked = l.markedContext()
	}
	val, diags := expr.Value(l.marked)
	if diags.HasErrors() {
		return false
	}
	_, pvms := val.UnmarkDeepWithPaths()
	for _, pvm := range pvms {
		if _, ok := pvm.Marks[sensitiveMark]; ok {
			return true
		}
	}
	return false
}

// dropFollowOns removes the "value must be known" errors gohcl adds after
// an expression already failed (a failed expression yields an unknown
// value; nothing else in a configuration is unknown).
func dropFollowOns(diags hcl.Diagnostics) hcl.Diagnostics {
	if !diags.HasErrors() {
		return diags
	}
	var out hcl.Diagnostics
	for _, d := range diags {
		if !strings.HasSuffix(d.Detail, "value must be known") {
			out = append(out, d)
		}
	}
	if !out.HasErrors() {
		return diags
	}
	return out
}
