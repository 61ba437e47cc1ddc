package provider

import "github.com/hashicorp/hcl/v2"

// AttrDiag is an error about one argument of a block body, pointing at the
// argument's expression (or at the body when the argument is absent), for
// checks a provider makes after decoding.
func AttrDiag(body hcl.Body, name, summary, detail string) *hcl.Diagnostic {
	rng := body.MissingItemRange()
	if attrs, d := body.JustAttributes(); !d.HasErrors() {
		if a, ok := attrs[name]; ok {
			rng = a.Expr.Range()
		}
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()}
}
