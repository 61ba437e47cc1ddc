package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/velinhq/velin/engine/apply"
	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/providers/provider"
)

// outcome is how a run ended: its word for the summary and its exit code.
func outcome(ctx context.Context, rep *apply.Report) (string, int) {
	if ctx.Err() != nil {
		return "interrupted", exitInterrupted
	}
	partial, failed, unverified := rep.PartialError() != nil, false, false
	for _, res := range rep.Results {
		switch {
		case res.Status == graph.StatusOK:
		case res.Status == graph.StatusSkipped:
			// Only ever after a failure, which decides the outcome.
		case res.Status == graph.StatusFailed && errors.Is(res.Err, provider.ErrPartial):
			partial = true
		case res.Status == graph.StatusFailed && errors.Is(res.Err, provider.ErrAssertion):
			unverified = true
		default:
			failed = true
		}
	}
	switch {
	case failed:
		return "failed", exitFailure
	case unverified:
		return "not_verified", exitNotVerified
	case partial:
		return "partial", exitPartial
	}
	return "ok", exitOK
}

// resultJSON is one action of a run in the summary.
type resultJSON struct {
	Node       string `json:"node"`
	Status     string `json:"status"`
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error,omitempty"`
}

// summaryJSON is the last line of `apply --json`.
type summaryJSON struct {
	Type       string         `json:"type"` // "summary"
	Time       time.Time      `json:"time"`
	Status     string         `json:"status"` // ok, failed, not_verified, partial or interrupted
	ExitCode   int            `json:"exit_code"`
	OK         int            `json:"ok"`
	Failed     int            `json:"failed"`
	Skipped    int            `json:"skipped"`
	Cancelled  int            `json:"cancelled"`
	DurationMS int64          `json:"duration_ms"`
	Snapshots  []snapshotJSON `json:"snapshots"`
	Forgotten  []string       `json:"forgotten"`
	Results    []resultJSON   `json:"results"`
	// Restores: per restore block, its sources restored, failed and not
	// restored.
	Restores []apply.RestoreOutcome `json:"restores,omitempty"`
}

// summary prints what a run did and returns its exit code.
func (r *reporter) summary(ctx context.Context, rep *apply.Report, target func(*repo.Manifest) string) (int, error) {
	word, code := outcome(ctx, rep)
	now := r.g.env.Clock()
	sort.Strings(rep.Forgotten)
	if r.g.JSON {
		return code, r.g.printJSONLine(r.summaryJSON(rep, word, code, now, target))
	}
	r.g.out("%s", r.summaryText(rep, word, now.Sub(r.start)))
	return code, nil
}

func (r *reporter) summaryJSON(rep *apply.Report, word string, code int, now time.Time, target func(*repo.Manifest) string) summaryJSON {
	c := rep.Counts()
	s := summaryJSON{Type: "summary", Time: now, Status: word, ExitCode: code, OK: c[graph.StatusOK],
		Failed: c[graph.StatusFailed], Skipped: c[graph.StatusSkipped], Cancelled: c[graph.StatusCancelled],
		DurationMS: now.Sub(r.start).Milliseconds(), Snapshots: []snapshotJSON{},
		Forgotten: append([]string{}, rep.Forgotten...), Results: []resultJSON{}, Restores: rep.Restores}
	for _, m := range rep.Snapshots {
		s.Snapshots = append(s.Snapshots, toSnapshotJSON(target(m), m))
	}
	for _, res := range rep.Results {
		j := resultJSON{Node: res.Node.ID, Status: string(res.Status), DurationMS: res.End.Sub(res.Start).Milliseconds()}
		if res.Err != nil {
			j.Error = r.g.redact(res.Err.Error())
		}
		s.Results = append(s.Results, j)
	}
	return s
}

func (r *reporter) summaryText(rep *apply.Report, word string, took time.Duration) string {
	c := rep.Counts()
	var b strings.Builder
	heading := map[string]string{"ok": "complete", "failed": "FAILED", "partial": "PARTIAL", "interrupted": "interrupted",
		"not_verified": "FAILED (a snapshot is saved but NOT VERIFIED)"}[word]
	fmt.Fprintf(&b, "\nApply %s: %d ok, %d failed, %d skipped, %d cancelled (%s).\n", heading,
		c[graph.StatusOK], c[graph.StatusFailed], c[graph.StatusSkipped], c[graph.StatusCancelled], took.Round(10*time.Millisecond))
	for _, res := range rep.Results {
		if res.Status == graph.StatusFailed && !errors.Is(res.Err, context.Canceled) {
			fmt.Fprintf(&b, "  failed:    %s: %v\n", res.Node.ID, res.Err)
		} else if res.Status != graph.StatusOK && !r.g.Quiet {
			fmt.Fprintf(&b, "  %-9s  %s\n", string(res.Status)+":", res.Node.ID)
		}
	}
	for _, o := range rep.Restores {
		if !o.Complete() {
			fmt.Fprintf(&b, "Restore stopped: %s.\n", o)
		}
	}
	for _, m := range rep.Snapshots {
		fmt.Fprintf(&b, "Snapshot %s of backup %q: %d source(s), %s, %s newly stored.\n",
			m.ID, m.Backup, len(m.Sources), bytesize.Format(m.Size), bytesize.Format(m.StoredBytes))
		writeStats(&b, m.Stats)
		for _, s := range m.Sources {
			if r.g.Verbose {
				fmt.Fprintf(&b, "  source %s: %d files, %s, %s newly stored\n", s.Key, s.Files, bytesize.Format(s.Bytes), bytesize.Format(s.StoredBytes))
			}
			writeSourceNotes(&b, "  "+s.Key+": ", s)
		}
		writeVerification(&b, m.Verification)
	}
	if len(rep.Forgotten) > 0 {
		fmt.Fprintf(&b, "Retention forgot %d snapshot(s): %s\n", len(rep.Forgotten), strings.Join(rep.Forgotten, ", "))
	}
	return b.String()
}

// writeStats prints a backup's statistics, as restic does.
func writeStats(b io.Writer, s *repo.BackupStats) {
	if s == nil {
		return
	}
	fmt.Fprintf(b, "  files:        %d new, %d changed, %d unmodified\n", s.FilesNew, s.FilesChanged, s.FilesUnmodified)
	fmt.Fprintf(b, "  read:         %s in %s\n", bytesize.Format(s.BytesRead), (time.Duration(s.DurationMS) * time.Millisecond).Round(10*time.Millisecond))
	fmt.Fprintf(b, "  added:        %s to the repository (%s stored)\n", bytesize.Format(s.BytesAdded), bytesize.Format(s.BytesStored))
}
