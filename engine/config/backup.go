package config

import (
	"fmt"
	"math/big"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Strategies are the values backup's strategy argument accepts.
var strategies = []string{"full", "incremental"}

var backupSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "sources", Required: true},
		{Name: "target", Required: true},
		{Name: "strategy"},
		{Name: "before"}, {Name: "after"}, {Name: "finally"},
		{Name: "depends_on"}, {Name: "copy_to"},
		{Name: "schedule"}, {Name: "schedule_timezone"}, {Name: "missed"}, {Name: "jitter"},
		{Name: "notify"}, {Name: "notify_level"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "retention"}, {Type: "verify"}},
}

// decodeBackup decodes a backup block; it is added to the Config only when
// it has no errors.
func (l *loader) decodeBackup(blk *hcl.Block) hcl.Diagnostics {
	if !l.isFirst(blk) {
		return nil
	}
	b := &Backup{Name: blk.Labels[0], Strategy: "incremental", DeclRange: blk.DefRange}
	content, diags := blk.Body.Content(backupSchema)
	if attr, ok := content.Attributes["sources"]; ok {
		var d hcl.Diagnostics
		b.Sources, d = l.refList(attr, "source")
		diags = append(diags, d...)
		if !d.HasErrors() && len(b.Sources) == 0 {
			diags = append(diags, emptyList(attr, "a backup needs at least one source, like [source.files.site]"))
		}
	}
	if attr, ok := content.Attributes["target"]; ok {
		var d hcl.Diagnostics
		b.Target, d = l.ref(attr.Name, attr.Expr, "target")
		diags = append(diags, d...)
	}
	if attr, ok := content.Attributes["strategy"]; ok {
		diags = append(diags, l.strategy(attr, &b.Strategy)...)
	}
	diags = append(diags, l.copyTo(content.Attributes, b)...)
	diags = append(diags, l.backupSchedule(content.Attributes, b)...)
	diags = append(diags, l.hooks(content.Attributes, &b.Before, &b.After, &b.Finally)...)
	diags = append(diags, l.dependsOn(content.Attributes, b.Addr(), &b.DependsOn, "backup")...)
	diags = append(diags, l.backupBlocks(content.Blocks, b)...)
	diags = append(diags, l.notifyAttach(content.Attributes, &b.Notify, &b.NotifyLevel)...)
	if !diags.HasErrors() {
		l.cfg.Backups[b.Addr()] = b
	}
	return diags
}

// backupBlocks decodes the nested retention and verify blocks, one of each.
func (l *loader) backupBlocks(blocks hcl.Blocks, b *Backup) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{}
	for _, blk := range blocks {
		if blk.Type == "retention" {
			diags = append(diags, l.backupRetention(blk, b, seen)...)
			continue
		}
		if first, dup := seen[blk.Type]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate " + blk.Type + " block",
				Detail:   fmt.Sprintf("A backup has at most one %s block; the first is at %s. Merge them.", blk.Type, posString(first)),
				Subject:  blk.DefRange.Ptr(),
			})
			continue
		}
		seen[blk.Type] = blk.DefRange
		diags = append(diags, l.decodeVerify(blk, b)...)
	}
	return diags
}

func (l *loader) strategy(attr *hcl.Attribute, out *string) hcl.Diagnostics {
	val, diags, ok := l.evalAttr(attr, cty.String)
	if !ok {
		return diags
	}
	s := val.AsString()
	if !contains(strategies, s) {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid strategy",
			Detail:   fmt.Sprintf("strategy must be %s, not %q.%s", quotedList(strategies, "or"), s, didYouMean(s, strategies)),
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	*out = s
	return nil
}

// hooks decodes before, after and finally: lists of step references.
func (l *loader) hooks(attrs hcl.Attributes, before, after, finally *[]Ref) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, h := range []struct {
		name string
		out  *[]Ref
	}{{"before", before}, {"after", after}, {"finally", finally}} {
		if attr, ok := attrs[h.name]; ok {
			var d hcl.Diagnostics
			*h.out, d = l.refList(attr, "step")
			diags = append(diags, d...)
		}
	}
	return diags
}

// dependsOn decodes depends_on, rejecting a block that depends on itself.
func (l *loader) dependsOn(attrs hcl.Attributes, self string, out *[]Ref, kinds ...string) hcl.Diagnostics {
	attr, ok := attrs["depends_on"]
	if !ok {
		return nil
	}
	refs, diags := l.refList(attr, kinds...)
	for _, r := range refs {
		if r.Addr == self {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Self-dependency",
				Detail:   fmt.Sprintf("%s cannot depend on itself. Remove it from depends_on.", self),
				Subject:  r.Range.Ptr(),
			})
		}
	}
	*out = refs
	return diags
}

// evalAttr evaluates attr in the engine's context and converts it to ty.
// ok is false when the value is unusable; diags says why, unless the cause
// (a failed variable) was reported already.
func (l *loader) evalAttr(attr *hcl.Attribute, ty cty.Type) (cty.Value, hcl.Diagnostics, bool) {
	diags, failed := l.checkRefs(attr.Expr)
	if failed {
		return cty.NilVal, diags, false
	}
	val, diags := attr.Expr.Value(l.ctx)
	if diags.HasErrors() {
		return cty.NilVal, diags, false
	}
	val, err := convert.Convert(val, ty)
	if err != nil || val.IsNull() || !val.IsWhollyKnown() {
		reason := "it is null"
		if err != nil {
			reason = err.Error()
		}
		return cty.NilVal, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Incorrect attribute value type",
			Detail:   fmt.Sprintf("The %q argument must be a %s: %s.", attr.Name, typeexpr.TypeString(ty), reason),
			Subject:  attr.Expr.Range().Ptr(),
		}}, false
	}
	return val, nil, true
}

// evalInt evaluates attr as a whole number of at least 0.
func (l *loader) evalInt(attr *hcl.Attribute, out *int) hcl.Diagnostics {
	val, diags, ok := l.evalAttr(attr, cty.Number)
	if !ok {
		return diags
	}
	f := val.AsBigFloat()
	n, acc := f.Int64()
	if acc != big.Exact || n < 0 || n > 1<<31 {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid " + attr.Name,
			Detail:   fmt.Sprintf("%s must be a whole number, 0 or more; got %s.", attr.Name, f.Text('f', -1)),
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	*out = int(n)
	return nil
}

func emptyList(attr *hcl.Attribute, why string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Empty " + attr.Name,
		Detail:   fmt.Sprintf("%q is empty: %s.", attr.Name, why),
		Subject:  attr.Expr.Range().Ptr(),
	}
}
