package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// bucketSourceType is the type of the sources that restore buckets
// (providers/bucket), the only ones buckets and to_bucket apply to.
const bucketSourceType = "s3"

// restoreBuckets decodes buckets and to_bucket of a restore block (the
// flags --bucket and --to-bucket of velin backup restore) and checks that
// every source the block restores is a bucket source, and that to_bucket
// does not come with to.
func (l *loader) restoreBuckets(r *Restore, attrs hcl.Attributes) hcl.Diagnostics {
	var diags hcl.Diagnostics
	var first *hcl.Attribute
	if attr, ok := attrs["buckets"]; ok {
		first = attr
		val, d, ok := l.evalAttr(attr, cty.List(cty.String))
		diags = append(diags, d...)
		if ok {
			diags = append(diags, bucketNames(attr, val, &r.Buckets)...)
		}
	}
	if attr, ok := attrs["to_bucket"]; ok {
		first = attr
		val, d, ok := l.evalAttr(attr, cty.String)
		diags = append(diags, d...)
		if ok {
			r.ToBucket = val.AsString()
			if r.ToBucket == "" || strings.Contains(r.ToBucket, "/") {
				diags = append(diags, bucketDiag(attr, "Invalid to_bucket", fmt.Sprintf("%q is not a bucket name; give the bucket to restore into, without \"/\".", r.ToBucket)))
			}
			if _, to := attrs["to"]; to {
				diags = append(diags, bucketDiag(attr, "Two destinations", "to and to_bucket are two destinations: give one."))
			}
		}
	}
	if first == nil || diags.HasErrors() {
		return diags
	}
	if bad := l.restoreSourcesNotOfType(r, bucketSourceType); len(bad) > 0 {
		diags = append(diags, bucketDiag(first, first.Name+" applies to s3 sources only",
			fmt.Sprintf("%s %s not an s3 source. List only s3 sources in \"sources\", or restore the others in a restore block of their own.",
				strings.Join(bad, ", "), isAre(len(bad)))))
	}
	return diags
}

func bucketNames(attr *hcl.Attribute, val cty.Value, out *[]string) hcl.Diagnostics {
	if val.LengthInt() == 0 {
		return hcl.Diagnostics{emptyList(attr, "name the buckets to restore, or leave buckets out to restore them all")}
	}
	for _, v := range val.AsValueSlice() {
		b := v.AsString()
		if b == "" || strings.Contains(b, "/") {
			return hcl.Diagnostics{bucketDiag(attr, "Invalid bucket", fmt.Sprintf("%q is not a bucket name; list bucket names, without \"/\".", b))}
		}
		*out = append(*out, b)
	}
	return nil
}

func bucketDiag(attr *hcl.Attribute, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: attr.Expr.Range().Ptr()}
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// restoreSourcesNotOfType lists the addresses of the sources r restores
// (its own list, else its backup's) whose type is not typ.
func (l *loader) restoreSourcesNotOfType(r *Restore, typ string) []string {
	refs := r.Sources
	if len(refs) == 0 {
		if b, ok := l.cfg.Backups[r.From.Addr]; ok {
			refs = b.Sources
		}
	}
	var bad []string
	for _, ref := range refs {
		if s, ok := l.cfg.Sources[ref.Addr]; ok && s.Type != typ {
			bad = append(bad, ref.Addr)
		}
	}
	return bad
}
