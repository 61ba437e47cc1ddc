package provider

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
)

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

// TimeoutArg parses the optional duration argument name ("30s", "5m"); an
// empty value gives def. A value that is not a positive duration is a
// diagnostic on the argument.
func TimeoutArg(body hcl.Body, name, value string, def time.Duration) (time.Duration, hcl.Diagnostics) {
	if value == "" {
		return def, nil
	}
	d, err := time.ParseDuration(value)
	if err != nil || d <= 0 {
		return def, hcl.Diagnostics{AttrDiag(body, name, "Invalid "+name,
			fmt.Sprintf("%q is not a positive duration such as \"30s\" or \"5m\".", value))}
	}
	return d, nil
}
