package config

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/velinhq/velin/engine/redact"
)

// maxSnippetLines bounds how much of a long range is shown.
const maxSnippetLines = 5

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[1;33m"
)

// WriteDiagnostics prints diags in the form
//
//	velin.hcl:4:3: error: Unsupported argument
//	    4 |   pathz = ["a"]
//	      |   ^^^^^
//	  An argument named "pathz" is not expected here. Did you mean "paths"?
//
// with the source snippet taken from files and the range marked. With
// color, the severity, summary and marker are colored (the snippet text
// never is). Every secret given is replaced by "(sensitive)" in the whole
// output, snippets included: callers pass cfg.Secrets (Load returns a
// Config even on error for this).
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, color bool, secrets ...string) error {
	var buf bytes.Buffer
	for i, d := range diags {
		if i > 0 {
			buf.WriteByte('\n')
		}
		writeDiagnostic(&buf, files, d, color)
	}
	_, err := io.WriteString(w, maskLiterals(redact.New(secrets...).String(buf.String()), secrets))
	if err != nil {
		return fmt.Errorf("write diagnostics: %w", err)
	}
	return nil
}

// maskLiterals masks the secrets too short for the output search where a
// snippet shows them written as a whole string literal ("abc"): a literal
// passphrase or a sensitive variable's default.
func maskLiterals(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" && !redact.Searchable(sec) {
			s = strings.ReplaceAll(s, strconv.Quote(sec), `"`+redact.Mask+`"`)
		}
	}
	return s
}

func writeDiagnostic(buf *bytes.Buffer, files map[string]*hcl.File, d *hcl.Diagnostic, color bool) {
	sev, sevColor := "error", ansiRed
	if d.Severity == hcl.DiagWarning {
		sev, sevColor = "warning", ansiYellow
	}
	if d.Subject != nil {
		fmt.Fprintf(buf, "%s: ", posString(*d.Subject))
	}
	if color {
		fmt.Fprintf(buf, "%s%s:%s %s%s%s\n", sevColor, sev, ansiReset, ansiBold, d.Summary, ansiReset)
	} else {
		fmt.Fprintf(buf, "%s: %s\n", sev, d.Summary)
	}
	if d.Subject != nil {
		if f, ok := files[d.Subject.Filename]; ok && f != nil {
			writeSnippet(buf, f.Bytes, *d.Subject, color)
		}
	}
	if d.Detail != "" {
		for _, line := range strings.Split(d.Detail, "\n") {
			fmt.Fprintf(buf, "  %s\n", line)
		}
	}
}

// writeSnippet prints the lines of rng with a marker under the range.
func writeSnippet(buf *bytes.Buffer, src []byte, rng hcl.Range, color bool) {
	if rng.Start.Byte < 0 || rng.End.Byte > len(src) || rng.Start.Byte > rng.End.Byte {
		return
	}
	lineStart := bytes.LastIndexByte(src[:rng.Start.Byte], '\n') + 1
	for n := 0; n < maxSnippetLines; n++ {
		lineEnd := len(src)
		if i := bytes.IndexByte(src[lineStart:], '\n'); i >= 0 {
			lineEnd = lineStart + i
		}
		line := strings.TrimRight(string(src[lineStart:lineEnd]), "\r")
		from, to := max(rng.Start.Byte, lineStart), min(rng.End.Byte, lineStart+len(line))
		fmt.Fprintf(buf, "%5d | %s\n", rng.Start.Line+n, line)
		if mark := marker(src[lineStart:lineStart+len(line)], from-lineStart, to-lineStart); mark != "" {
			if color {
				mark = strings.Replace(mark, "^", ansiRed+"^", 1) + ansiReset
			}
			fmt.Fprintf(buf, "      | %s\n", mark)
		}
		if lineEnd >= rng.End.Byte || lineEnd >= len(src) {
			return
		}
		lineStart = lineEnd + 1
	}
}

// marker is the line under a source line marking bytes [from, to): spaces
// (tabs kept, for alignment) then one ^ per character. An empty range is
// marked with a single ^.
func marker(line []byte, from, to int) string {
	if from > len(line) || from < 0 {
		return ""
	}
	var b strings.Builder
	for _, r := range string(line[:from]) {
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	n := 1
	if to > from {
		n = max(utf8.RuneCount(line[from:to]), 1)
	}
	b.WriteString(strings.Repeat("^", n))
	return b.String()
}
