package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/velinhq/velin/engine/repo"
)

// redactWriter wraps w so that every secret is masked; text is flushed per line.
func redactWriter(g *globalOptions, w io.Writer) io.Writer {
	if g.redactor == nil {
		return w
	}
	return &lineRedactor{g: g, w: w}
}

type lineRedactor struct {
	g *globalOptions
	w io.Writer
}

func (l *lineRedactor) Write(p []byte) (int, error) {
	_, err := io.WriteString(l.w, l.g.redact(string(p)))
	return len(p), err
}

// table prints aligned columns (text/tabwriter from the standard library is
// enough for our lists; no dependency needed).
func table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func writeVerification(b io.Writer, v *repo.Verification) {
	if v == nil {
		return
	}
	if v.Checksums != "" {
		fmt.Fprintf(b, "  checksums:    %s\n", v.Checksums)
	}
	keys := make([]string, 0, len(v.TestRestore))
	for k := range v.TestRestore {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(b, "  test restore: %s: %s\n", k, v.TestRestore[k])
	}
}
