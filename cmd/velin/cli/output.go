package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

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

// writeVerification prints a verification record: a NOT VERIFIED line
// when a check failed, the sentence of each check, and under each test
// restore the checks it made (counts, integrity, assertions).
func writeVerification(b io.Writer, v *repo.Verification) {
	if v == nil {
		return
	}
	if verificationStatus(v) == "failed" {
		fmt.Fprintf(b, "  status:       NOT VERIFIED: a check failed (the snapshot is kept)\n")
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
		for _, c := range v.Checks {
			if c.Kind == "test_restore" && c.Source == k {
				writeTestRestoreCheck(b, c)
			}
		}
	}
}

func writeTestRestoreCheck(b io.Writer, c repo.Check) {
	if len(c.Leftovers) > 0 {
		fmt.Fprintf(b, "    removed leftovers: %s\n", strings.Join(c.Leftovers, ", "))
	}
	for _, r := range c.Results {
		word := "ok    "
		if !r.Passed {
			word = "FAILED"
		}
		fmt.Fprintf(b, "    %s %s: %s (%s)\n", word, r.Name, r.Detail, time.Duration(r.DurationMS)*time.Millisecond)
	}
	if len(c.Results) > 0 {
		fmt.Fprintf(b, "    took %s\n", time.Duration(c.DurationMS)*time.Millisecond)
	}
}

// verificationStatus is "ok", "failed", or "none" when nothing was checked
// (or v is nil).
func verificationStatus(v *repo.Verification) string {
	if v == nil {
		return "none"
	}
	checks := v.Checks
	if checks == nil {
		checks = legacyChecks(v)
	}
	status := "none"
	for _, c := range checks {
		if c.Status != "ok" {
			return "failed"
		}
		status = "ok"
	}
	return status
}
