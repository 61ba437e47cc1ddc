package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/velinhq/velin/providers/provider"
)

// restoreFilterable checks that every source a restore block with
// `include` restores can apply it (a file tree): a restore never replaces a
// whole database when only some paths were asked for.
func (l *loader) restoreFilterable(r *Restore, attr *hcl.Attribute) hcl.Diagnostics {
	if len(r.Include) == 0 {
		return nil
	}
	bad := l.restoreSourcesWithout(r, func(src provider.Source) bool {
		f, ok := src.(provider.Filterable)
		return ok && f.CanFilter()
	})
	if len(bad) == 0 {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "include applies to file trees only",
		Detail: fmt.Sprintf("%s cannot be filtered by paths: a restore with include would replace it whole. "+
			"List only file-tree sources in \"sources\", or restore %s in a restore block of its own.",
			strings.Join(bad, ", "), strings.Join(bad, ", ")),
		Subject: attr.Expr.Range().Ptr(),
	}}
}

// restoreFlush decodes flush and checks that every source the restore
// block restores honours it.
func (l *loader) restoreFlush(r *Restore, attr *hcl.Attribute) hcl.Diagnostics {
	val, diags, ok := l.evalAttr(attr, cty.Bool)
	if !ok {
		return diags
	}
	flush := val.True()
	r.Flush = &flush
	bad := l.restoreSourcesWithout(r, func(src provider.Source) bool {
		f, ok := src.(provider.Flushable)
		return ok && f.CanFlush()
	})
	if len(bad) == 0 {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "flush applies to redis sources only",
		Detail: fmt.Sprintf("%s cannot be flushed before a restore. List only sources that can in \"sources\" (redis), "+
			"or leave flush out.", strings.Join(bad, ", ")),
		Subject: attr.Expr.Range().Ptr(),
	}}
}

// restoreGlobals decodes globals and checks that every source the restore
// block restores can create its snapshot's globals.
func (l *loader) restoreGlobals(r *Restore, attr *hcl.Attribute) hcl.Diagnostics {
	val, diags, ok := l.evalAttr(attr, cty.Bool)
	if !ok {
		return diags
	}
	r.Globals = val.True()
	if !r.Globals {
		return nil
	}
	bad := l.restoreSourcesWithout(r, func(src provider.Source) bool {
		g, ok := src.(provider.GlobalsRestorer)
		return ok && g.CanRestoreGlobals()
	})
	if len(bad) == 0 {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "globals applies to postgres sources only",
		Detail: fmt.Sprintf("%s has no roles or tablespaces to create before a restore. List only postgres sources in \"sources\", "+
			"or leave globals out.", strings.Join(bad, ", ")),
		Subject: attr.Expr.Range().Ptr(),
	}}
}

// restoreSourcesWithout lists the addresses of the sources r restores (its
// own list, else its backup's) for which can is false.
func (l *loader) restoreSourcesWithout(r *Restore, can func(provider.Source) bool) []string {
	refs := r.Sources
	if len(refs) == 0 {
		if b, ok := l.cfg.Backups[r.From.Addr]; ok {
			refs = b.Sources
		}
	}
	var bad []string
	for _, ref := range refs {
		s, ok := l.cfg.Sources[ref.Addr]
		if !ok || s.Impl == nil {
			continue // reported where the source is declared
		}
		if !can(s.Impl) {
			bad = append(bad, ref.Addr)
		}
	}
	return bad
}
