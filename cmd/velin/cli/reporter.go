package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/velinhq/velin/engine/apply"
	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/plan"
)

// reporter shows a run as it happens: one line per finished action and a
// progress bar on a terminal, or one JSON event per line with --json.
type reporter struct {
	g     *globalOptions
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	start time.Time
}

func newReporter(g *globalOptions, p *plan.Plan) *reporter {
	r := &reporter{g: g, start: g.env.Clock()}
	if g.env.Terminal && !g.JSON && p != nil && p.Summary.Bytes > 0 {
		r.bar = newBar(g.env.Stderr, p.Summary.Bytes, "backing up")
	}
	return r
}

func newBar(w io.Writer, total int64, what string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w), progressbar.OptionShowBytes(true),
		progressbar.OptionSetDescription(what), progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish())
}

func (r *reporter) event(e apply.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.g.JSON {
		b, _ := json.Marshal(e)
		fmt.Fprintln(r.g.env.Stdout, r.g.redact(string(b)))
		return
	}
	switch e.Type {
	case "progress":
		if r.bar != nil {
			r.bar.Set64(min(e.Bytes, e.Total))
		}
	case "warning":
		r.clearBar()
		r.g.errf("  WARN  %s: %s\n", e.Node, e.Message)
	case "done":
		if e.Message != "" {
			return // a note of a node already reported
		}
		r.clearBar()
		if e.Status == "ok" {
			r.g.errf("  ok    %s\n", e.Node)
		} else {
			r.g.errf("  FAIL  %s: %s\n", e.Node, e.Error)
		}
	}
}

func (r *reporter) clearBar() {
	if r.bar != nil {
		r.bar.Clear()
	}
}

func (r *reporter) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bar != nil {
		r.bar.Finish()
		r.bar = nil
	}
}

func (r *reporter) summary(rep *apply.Report) error {
	c := rep.Counts()
	took := r.g.env.Clock().Sub(r.start).Round(10 * time.Millisecond)
	if r.g.JSON {
		return r.g.printJSON(map[string]any{
			"type": "summary", "ok": c[graph.StatusOK], "failed": c[graph.StatusFailed],
			"skipped": c[graph.StatusSkipped], "cancelled": c[graph.StatusCancelled],
			"snapshots": rep.Snapshots, "forgotten": rep.Forgotten, "results": resultsJSON(rep.Results, r.g),
		})
	}
	var b strings.Builder
	word := "complete"
	if rep.Failed() {
		word = "FAILED"
	}
	fmt.Fprintf(&b, "\nApply %s: %d ok, %d failed, %d skipped, %d cancelled (%s).\n", word,
		c[graph.StatusOK], c[graph.StatusFailed], c[graph.StatusSkipped], c[graph.StatusCancelled], took)
	for _, res := range rep.Results {
		if res.Status == graph.StatusFailed {
			fmt.Fprintf(&b, "  failed:    %s: %v\n", res.Node.ID, res.Err)
		}
		if res.Status == graph.StatusSkipped || res.Status == graph.StatusCancelled {
			fmt.Fprintf(&b, "  %-9s  %s\n", string(res.Status)+":", res.Node.ID)
		}
	}
	for _, m := range rep.Snapshots {
		fmt.Fprintf(&b, "Snapshot %s of backup %q: %d source(s), %s, %s newly stored.\n",
			m.ID, m.Backup, len(m.Sources), plan.HumanBytes(m.Size), plan.HumanBytes(m.StoredBytes))
		for _, s := range m.Sources {
			writeSourceNotes(&b, "  "+s.Key+": ", s)
		}
		writeVerification(&b, m.Verification)
	}
	if len(rep.Forgotten) > 0 {
		sort.Strings(rep.Forgotten)
		fmt.Fprintf(&b, "Retention forgot %d snapshot(s): %s\n", len(rep.Forgotten), strings.Join(rep.Forgotten, ", "))
	}
	r.g.out("%s", b.String())
	return nil
}

func resultsJSON(results []graph.Result, g *globalOptions) []map[string]any {
	var out []map[string]any
	for _, res := range results {
		m := map[string]any{"node": res.Node.ID, "status": res.Status,
			"seconds": res.End.Sub(res.Start).Seconds()}
		if res.Err != nil {
			m["error"] = g.redact(res.Err.Error())
		}
		out = append(out, m)
	}
	return out
}
