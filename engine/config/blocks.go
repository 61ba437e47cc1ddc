package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// rootSchema is what may appear at the top level of a configuration file.
var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "source", LabelNames: []string{"type", "name"}},
		{Type: "target", LabelNames: []string{"type", "name"}},
		{Type: "step", LabelNames: []string{"type", "name"}},
		{Type: "backup", LabelNames: []string{"name"}},
		{Type: "restore", LabelNames: []string{"name"}},
		{Type: "deployment", LabelNames: []string{"name"}},
		{Type: "notify", LabelNames: []string{"kind", "name"}},
	},
}

// rootBlocks are the top-level blocks of every file, by type, in file order.
type rootBlocks struct {
	variables, locals, sources, targets, steps, backups, restores, deployments, notifies []*hcl.Block
}

func (l *loader) rootBlocks() (rootBlocks, hcl.Diagnostics) {
	var b rootBlocks
	var diags hcl.Diagnostics
	for _, name := range l.cfg.Files {
		f, ok := l.files[name]
		if !ok {
			continue
		}
		content, d := f.Body.Content(rootSchema)
		diags = append(diags, d...)
		for _, blk := range content.Blocks {
			if !validLabels(blk, &diags) {
				continue
			}
			b.add(blk)
		}
	}
	return b, diags
}

func (b *rootBlocks) add(blk *hcl.Block) {
	switch blk.Type {
	case "variable":
		b.variables = append(b.variables, blk)
	case "locals":
		b.locals = append(b.locals, blk)
	case "source":
		b.sources = append(b.sources, blk)
	case "target":
		b.targets = append(b.targets, blk)
	case "step":
		b.steps = append(b.steps, blk)
	case "backup":
		b.backups = append(b.backups, blk)
	case "restore":
		b.restores = append(b.restores, blk)
	case "deployment":
		b.deployments = append(b.deployments, blk)
	case "notify":
		b.notifies = append(b.notifies, blk)
	}
}

// validLabels checks that every label can be written in a reference.
func validLabels(blk *hcl.Block, diags *hcl.Diagnostics) bool {
	ok := true
	for i, label := range blk.Labels {
		if hclsyntax.ValidIdentifier(label) {
			continue
		}
		ok = false
		*diags = append(*diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid block label",
			Detail:   fmt.Sprintf("%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter or underscore.", label),
			Subject:  blk.LabelRanges[i].Ptr(),
		})
	}
	return ok
}

// blockAddr is the address of a source, target, step, backup or restore.
func blockAddr(blk *hcl.Block) string {
	addr := blk.Type
	for _, label := range blk.Labels {
		addr += "." + label
	}
	return addr
}

// declareAll records every referenceable block's address, reporting
// duplicates. Source, target and step names are unique per kind and type.
func (l *loader) declareAll(b rootBlocks) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, list := range [][]*hcl.Block{b.sources, b.targets, b.steps, b.backups, b.restores, b.deployments, b.notifies} {
		for _, blk := range list {
			diags = append(diags, l.declare(blk)...)
		}
	}
	return diags
}

// declare records blk's address, or reports a duplicate (the block is then
// marked so it is not decoded twice).
func (l *loader) declare(blk *hcl.Block) hcl.Diagnostics {
	addr := blockAddr(blk)
	if first, dup := l.declared[addr]; dup {
		return hcl.Diagnostics{duplicate(kindOf(blk.Type), addr, first, blk.DefRange)}
	}
	l.declared[addr] = blk.DefRange
	return nil
}

// isFirst reports whether blk is the declaration that declare kept.
func (l *loader) isFirst(blk *hcl.Block) bool {
	r, ok := l.declared[blockAddr(blk)]
	return ok && r == blk.DefRange
}

// duplicate is the diagnostic for a second declaration of addr: it points
// at the second and says where the first is.
func duplicate(kind, addr string, first, second hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Duplicate " + kind,
		Detail:   fmt.Sprintf("%s is already declared at %s. Rename one of them: names must be unique.", addr, posString(first)),
		Subject:  second.Ptr(),
	}
}

// posString formats a range's start as file:line:col.
func posString(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// kindOf names a block type for messages.
func kindOf(blockType string) string {
	switch blockType {
	case "variable":
		return "variable"
	case "locals":
		return "local value"
	}
	return blockType
}
