package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// copyTo decodes copy_to: targets each new snapshot is copied to. The
// backup's own target cannot be one of them.
func (l *loader) copyTo(attrs hcl.Attributes, b *Backup) hcl.Diagnostics {
	attr, ok := attrs["copy_to"]
	if !ok {
		return nil
	}
	refs, diags := l.refList(attr, "target")
	seen := map[string]bool{}
	for _, r := range refs {
		switch {
		case r.Addr == b.Target.Addr:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Copy to the backup's own target",
				Detail:   fmt.Sprintf("%s is the backup's target already; copy_to lists other targets (an offsite copy). Remove it from copy_to.", r.Addr),
				Subject:  r.Range.Ptr(),
			})
		case seen[r.Addr]:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate copy target",
				Detail:   fmt.Sprintf("%s is listed twice in copy_to. Remove one.", r.Addr),
				Subject:  r.Range.Ptr(),
			})
		}
		seen[r.Addr] = true
	}
	b.CopyTo = refs
	return diags
}

// backupRetention decodes one retention block of a backup: without
// target it is the backup's own, with target = one of copy_to that
// target's. seen holds the blocks decoded so far by "retention" plus the
// target address.
func (l *loader) backupRetention(blk *hcl.Block, b *Backup, seen map[string]hcl.Range) hcl.Diagnostics {
	r, diags := l.decodeRetention(blk)
	key := "retention"
	if r.Target != nil {
		key += " " + r.Target.Addr
	}
	if first, dup := seen[key]; dup {
		what := "the backup's target"
		if r.Target != nil {
			what = r.Target.Addr
		}
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate retention block",
			Detail:   fmt.Sprintf("A backup has one retention block for %s; the first is at %s. Merge them.", what, posString(first)),
			Subject:  blk.DefRange.Ptr(),
		})
	}
	seen[key] = blk.DefRange
	if diags.HasErrors() {
		return diags
	}
	if r.Target == nil {
		b.Retention = r
		return diags
	}
	if !refListed(b.CopyTo, r.Target.Addr) {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Retention for a target the backup does not copy to",
			Detail:   fmt.Sprintf("%s is not in this backup's copy_to. A retention block's target names one of copy_to; leave target out for the backup's own target.", r.Target.Addr),
			Subject:  r.Target.Range.Ptr(),
		})
	}
	if b.CopyRetention == nil {
		b.CopyRetention = map[string]*Retention{}
	}
	b.CopyRetention[r.Target.Addr] = r
	return diags
}

func refListed(refs []Ref, addr string) bool {
	for _, r := range refs {
		if r.Addr == addr {
			return true
		}
	}
	return false
}

// TargetRetention is a backup block as one of its targets applies
// retention: Backup is the block with that target's Retention.
type TargetRetention struct {
	Target string // "target.local.disk"
	Backup *Backup
}

// RetentionTargets lists the block's own target and each copy_to target
// with a retention block of its own, in that order. A copy target without
// one keeps everything (the primary's policy does not apply there).
func (b *Backup) RetentionTargets() []TargetRetention {
	out := []TargetRetention{{Target: b.Target.Addr, Backup: b}}
	for _, ref := range b.CopyTo {
		if rt := b.CopyRetention[ref.Addr]; rt != nil {
			c := *b
			c.Retention = rt
			out = append(out, TargetRetention{Target: ref.Addr, Backup: &c})
		}
	}
	return out
}
