package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/velinhq/velin/providers/provider"
)

var verifySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "checksums"}, {Name: "test_restore"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "assert", LabelNames: []string{"name"}}},
}

var assertSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "source", Required: true},
		{Name: "sql"}, {Name: "keys"}, {Name: "min_count"},
	},
}

// decodeVerify decodes a backup's verify block and its assert blocks.
func (l *loader) decodeVerify(blk *hcl.Block, b *Backup) hcl.Diagnostics {
	v := &b.Verify
	content, diags := blk.Body.Content(verifySchema)
	for _, f := range []struct {
		name string
		out  *bool
	}{{"checksums", &v.Checksums}, {"test_restore", &v.TestRestore}} {
		if attr, ok := content.Attributes[f.name]; ok {
			val, d, ok := l.evalAttr(attr, cty.Bool)
			diags = append(diags, d...)
			if ok {
				*f.out = val.True()
			}
		}
	}
	seen := map[string]hcl.Range{}
	for _, ab := range content.Blocks {
		if first, dup := seen[ab.Labels[0]]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate assert",
				Detail:   fmt.Sprintf("An assert named %q is already declared at %s. Give each assert of a backup its own name.", ab.Labels[0], posString(first)),
				Subject:  ab.LabelRanges[0].Ptr(),
			})
			continue
		}
		seen[ab.Labels[0]] = ab.DefRange
		a, d := l.decodeAssert(ab, b)
		diags = append(diags, d...)
		if !d.HasErrors() {
			v.Asserts = append(v.Asserts, a)
		}
	}
	if len(content.Blocks) > 0 && !v.TestRestore && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "assert needs test_restore",
			Detail:   "Assertions run on a test restore of the new snapshot. Add test_restore = true to this verify block.",
			Subject:  content.Blocks[0].DefRange.Ptr(),
		})
	}
	return diags
}

// decodeAssert decodes one assert block of backup b.
func (l *loader) decodeAssert(blk *hcl.Block, b *Backup) (Assert, hcl.Diagnostics) {
	a := Assert{Name: blk.Labels[0], DeclRange: blk.DefRange}
	content, diags := blk.Body.Content(assertSchema)
	if attr, ok := content.Attributes["source"]; ok {
		var d hcl.Diagnostics
		a.Source, d = l.ref(attr.Name, attr.Expr, "source")
		diags = append(diags, d...)
		if !d.HasErrors() {
			diags = append(diags, assertSourceInBackup(a.Source, b)...)
		}
	}
	for _, f := range []struct {
		name string
		out  *string
	}{{"sql", &a.SQL}, {"keys", &a.Keys}} {
		if attr, ok := content.Attributes[f.name]; ok {
			val, d, ok := l.evalAttr(attr, cty.String)
			diags = append(diags, d...)
			if ok {
				*f.out = val.AsString()
			}
		}
	}
	if attr, ok := content.Attributes["min_count"]; ok {
		var n int
		diags = append(diags, l.evalInt(attr, &n)...)
		a.MinCount = int64(n)
	}
	if !diags.HasErrors() {
		diags = append(diags, l.checkAssert(a, blk)...)
	}
	return a, diags
}

func assertSourceInBackup(ref Ref, b *Backup) hcl.Diagnostics {
	var names []string
	for _, s := range b.Sources {
		if s.Addr == ref.Addr {
			return nil
		}
		names = append(names, s.Addr)
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Source not in backup",
		Detail: fmt.Sprintf("%s does not back up %s, so its test restore cannot check it. %s backs up: %s. Name one of these, or add %s to sources.",
			b.Addr(), ref.Addr, b.Addr(), strings.Join(names, ", "), ref.Addr),
		Subject: ref.Range.Ptr(),
	}}
}

// checkAssert asks the source whether it can run a.
func (l *loader) checkAssert(a Assert, blk *hcl.Block) hcl.Diagnostics {
	src, ok := l.cfg.Sources[a.Source.Addr]
	if !ok || src.Impl == nil {
		return nil // the source's own errors are reported where it is declared
	}
	asserter, ok := src.Impl.(provider.Asserter)
	if !ok {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Source cannot run assertions",
			Detail: fmt.Sprintf("%s (type %q) has no assertions: its test restore compares counts with the snapshot only. "+
				"Assert on a database source (sqlite, postgres, mysql, redis), or remove this assert block.", a.Source.Addr, src.Type),
			Subject: a.Source.Range.Ptr(),
		}}
	}
	if err := asserter.CheckAssert(a.Provider()); err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid assert for " + a.Source.Addr,
			Detail:   fmt.Sprintf("%s refuses this assertion: %v.", a.Source.Addr, err),
			Subject:  blk.DefRange.Ptr(),
		}}
	}
	return nil
}
