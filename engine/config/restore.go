package config

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

var restoreSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "from", Required: true},
		{Name: "sources"},
		{Name: "to"},
		{Name: "include"},
		{Name: "flush"},
		{Name: "globals"},
		{Name: "buckets"}, {Name: "to_bucket"},
		{Name: "before"}, {Name: "after"}, {Name: "finally"},
		{Name: "depends_on"},
		{Name: "notify"}, {Name: "notify_level"},
	},
}

// decodeRestore decodes a restore block; it is added to the Config only
// when it has no errors. Backups must be decoded first.
func (l *loader) decodeRestore(blk *hcl.Block) hcl.Diagnostics {
	if !l.isFirst(blk) {
		return nil
	}
	r := &Restore{Name: blk.Labels[0], DeclRange: blk.DefRange}
	content, diags := blk.Body.Content(restoreSchema)
	if attr, ok := content.Attributes["from"]; ok {
		var d hcl.Diagnostics
		r.From, d = l.ref(attr.Name, attr.Expr, "backup")
		diags = append(diags, d...)
	}
	if attr, ok := content.Attributes["sources"]; ok {
		var d hcl.Diagnostics
		r.Sources, d = l.refList(attr, "source")
		diags = append(diags, d...)
		diags = append(diags, l.restoreMembership(r)...)
	}
	if attr, ok := content.Attributes["to"]; ok {
		diags = append(diags, l.restoreTo(attr, &r.To)...)
	}
	if attr, ok := content.Attributes["include"]; ok {
		diags = append(diags, l.include(attr, &r.Include)...)
		diags = append(diags, l.restoreFilterable(r, attr)...)
	}
	if attr, ok := content.Attributes["flush"]; ok {
		diags = append(diags, l.restoreFlush(r, attr)...)
	}
	if attr, ok := content.Attributes["globals"]; ok {
		diags = append(diags, l.restoreGlobals(r, attr)...)
	}
	diags = append(diags, l.restoreBuckets(r, content.Attributes)...)
	diags = append(diags, l.hooks(content.Attributes, &r.Before, &r.After, &r.Finally)...)
	diags = append(diags, l.dependsOn(content.Attributes, r.Addr(), &r.DependsOn, "backup", "restore")...)
	diags = append(diags, l.notifyAttach(content.Attributes, &r.Notify, &r.NotifyLevel)...)
	if !diags.HasErrors() {
		l.cfg.Restores[r.Addr()] = r
	}
	return diags
}

// restoreMembership checks that every source named is one the backup
// saves. A backup that failed to decode was reported already.
func (l *loader) restoreMembership(r *Restore) hcl.Diagnostics {
	b, ok := l.cfg.Backups[r.From.Addr]
	if !ok {
		return nil
	}
	saved := make([]string, len(b.Sources))
	for i, s := range b.Sources {
		saved[i] = s.Addr
	}
	var diags hcl.Diagnostics
	for _, s := range r.Sources {
		if contains(saved, s.Addr) {
			continue
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Source not in backup",
			Detail: fmt.Sprintf("%s does not back up %s, so it cannot be restored from it. %s backs up: %s.",
				b.Addr(), s.Addr, b.Addr(), strings.Join(saved, ", ")),
			Subject: s.Range.Ptr(),
		})
	}
	return diags
}

// restoreTo evaluates the destination and resolves it against the plan
// directory.
func (l *loader) restoreTo(attr *hcl.Attribute, out *string) hcl.Diagnostics {
	val, diags, ok := l.evalAttr(attr, cty.String)
	if !ok {
		return diags
	}
	to := val.AsString()
	if to == "" {
		return hcl.Diagnostics{emptyList(attr, "give a directory or file path, or leave \"to\" out to restore in place")}
	}
	if !filepath.IsAbs(to) {
		to = filepath.Join(l.cfg.Dir, to)
	}
	*out = filepath.Clean(to)
	return nil
}

func (l *loader) include(attr *hcl.Attribute, out *[]string) hcl.Diagnostics {
	val, diags, ok := l.evalAttr(attr, cty.List(cty.String))
	if !ok {
		return diags
	}
	for _, v := range val.AsValueSlice() {
		pattern := v.AsString()
		if !doublestar.ValidatePattern(pattern) {
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Invalid include pattern",
				Detail:   fmt.Sprintf("%q is not a valid glob: check its brackets and braces. Patterns use *, **, ?, [abc] and {a,b}.", pattern),
				Subject:  attr.Expr.Range().Ptr(),
			}}
		}
		*out = append(*out, pattern)
	}
	return nil
}
