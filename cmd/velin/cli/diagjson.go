package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/redact"
)

// jsonPos is a position in a configuration file (lines and columns from 1,
// bytes from 0).
type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

// jsonDiagnostic is one diagnostic or error with --json, shaped like
// Terraform's: severity "error" or "warning", summary, detail and, for
// mistakes in the configuration, the source range.
type jsonDiagnostic struct {
	Type     string     `json:"type"` // "diagnostic"
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail"`
	Range    *jsonRange `json:"range,omitempty"`
	ExitCode int        `json:"exit_code,omitempty"` // set on the error that ends a command
}

func toJSONDiagnostics(diags hcl.Diagnostics, red *redact.Redactor) []jsonDiagnostic {
	out := make([]jsonDiagnostic, 0, len(diags))
	for _, d := range diags {
		jd := jsonDiagnostic{Type: "diagnostic", Severity: "error", Summary: red.String(d.Summary), Detail: red.String(d.Detail)}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
		}
		if d.Subject != nil {
			s := *d.Subject
			jd.Range = &jsonRange{Filename: s.Filename,
				Start: jsonPos{Line: s.Start.Line, Column: s.Start.Column, Byte: s.Start.Byte},
				End:   jsonPos{Line: s.End.Line, Column: s.End.Column, Byte: s.End.Byte}}
		}
		out = append(out, jd)
	}
	return out
}

// writeJSONLines writes each value as one line of JSON.
func writeJSONLines[T any](w io.Writer, vs []T) error {
	for _, v := range vs {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("write json: %w", err)
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
	}
	return nil
}

// writeDiagnostics prints diags on stderr: as text with source snippets,
// or with --json as one JSON object per line.
func (g *globalOptions) writeDiagnostics(files map[string]*hcl.File, diags hcl.Diagnostics, secrets []string) error {
	if len(diags) == 0 {
		return nil
	}
	if g.JSON {
		return writeJSONLines(g.env.Stderr, toJSONDiagnostics(diags, redact.New(secrets...)))
	}
	return config.WriteDiagnostics(g.env.Stderr, files, diags, g.env.Terminal, secrets...)
}

// reportError prints the error that ends a command on stderr, as
// "Error: …" or with --json as one diagnostic object.
func (g *globalOptions) reportError(err error, code int) {
	msg := g.redact(err.Error())
	if !g.JSON {
		fmt.Fprintln(g.env.Stderr, "Error: "+msg)
		return
	}
	writeJSONLines(g.env.Stderr, []jsonDiagnostic{{Type: "diagnostic", Severity: "error", Summary: msg, ExitCode: code}})
}

// warn prints a warning on stderr, as text or as one JSON diagnostic.
func (g *globalOptions) warn(msg string) {
	msg = g.redact(msg)
	if !g.JSON {
		fmt.Fprintln(g.env.Stderr, "Warning: "+msg)
		return
	}
	writeJSONLines(g.env.Stderr, []jsonDiagnostic{{Type: "diagnostic", Severity: "warning", Summary: msg}})
}
