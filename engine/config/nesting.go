package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// MaxNesting is how deeply brackets, braces, parentheses, strings and
// template sequences may nest in a plan, a -var-file or a -var value (a run
// of unary operators, "- - -x", counts too). The HCL parser and evaluator
// recurse once per level, so a file nested a million deep would overflow
// the stack; real plans nest a handful of levels.
const MaxNesting = 256

// checkNesting reports src nested deeper than MaxNesting, before it is
// parsed. It reads the tokens only, which takes no recursion.
func checkNesting(src []byte, filename string, start hcl.Pos) hcl.Diagnostics {
	tokens, _ := hclsyntax.LexConfig(src, filename, start)
	depth, unary := 0, 0
	for _, tok := range tokens {
		switch tok.Type {
		case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen, hclsyntax.TokenOQuote,
			hclsyntax.TokenOHeredoc, hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
			depth++
		case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen, hclsyntax.TokenCQuote,
			hclsyntax.TokenCHeredoc, hclsyntax.TokenTemplateSeqEnd:
			depth = max(depth-1, 0)
		}
		if tok.Type == hclsyntax.TokenMinus || tok.Type == hclsyntax.TokenBang {
			unary++
		} else {
			unary = 0
		}
		if depth+unary > MaxNesting {
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Nesting too deep",
				Detail: fmt.Sprintf("This expression is nested more than %d levels deep (brackets, braces, parentheses, strings, templates or unary operators). Flatten it, for example with locals.",
					MaxNesting),
				Subject: tok.Range.Ptr(),
			}}
		}
	}
	return nil
}
