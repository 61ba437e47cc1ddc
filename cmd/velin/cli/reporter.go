package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/velinhq/velin/engine/apply"
	"github.com/velinhq/velin/engine/plan"
	"github.com/velinhq/velin/engine/repo"
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
	if p != nil && p.Summary.Bytes > 0 {
		r.bar = g.progressBar(p.Summary.Bytes, "backing up")
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

// jsonEvent is one line of `apply --json`: each type has a fixed set of
// keys (docs/cli.md), present even when zero.
type jsonEvent struct {
	Type string    `json:"type"`
	Time time.Time `json:"time"`
	*nodeEvent
	*progressEvent
	*snapshotEvent
}

type nodeEvent struct {
	Node    string `json:"node"`
	Status  string `json:"status,omitempty"` // done: ok or failed
	Error   string `json:"error,omitempty"`
	Message string `json:"message,omitempty"` // warning: what was left out or read changing
}

type progressEvent struct {
	BytesDone  int64 `json:"bytes_done"`
	BytesTotal int64 `json:"bytes_total"`
	FilesDone  int64 `json:"files_done"`
	FilesTotal int64 `json:"files_total"`
}

type snapshotEvent struct {
	Snapshot string            `json:"snapshot"`
	Stats    *repo.BackupStats `json:"stats"`
	Verified string            `json:"verified"` // ok, failed (not verified), or none
	Checks   []repo.Check      `json:"checks"`
}

func toJSONEvent(e apply.Event) jsonEvent {
	j := jsonEvent{Type: e.Type, Time: e.Time}
	switch e.Type {
	case "progress":
		j.progressEvent = &progressEvent{BytesDone: e.Bytes, BytesTotal: e.Total, FilesDone: e.Files, FilesTotal: e.FilesTotal}
	case "snapshot":
		v := &repo.Verification{Checks: e.Checks}
		j.snapshotEvent = &snapshotEvent{Snapshot: e.Snapshot, Stats: e.Stats, Verified: verificationStatus(v), Checks: e.Checks}
		if j.Checks == nil {
			j.Checks = []repo.Check{}
		}
	default:
		j.nodeEvent = &nodeEvent{Node: e.Node, Status: e.Status, Error: e.Error, Message: e.Message}
	}
	return j
}

func (r *reporter) event(e apply.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.g.JSON {
		b, err := json.Marshal(toJSONEvent(e))
		if err == nil {
			fmt.Fprintln(r.g.env.Stdout, r.g.redact(string(b)))
		}
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
	case "copy":
		if !r.g.Quiet {
			r.clearBar()
			r.g.errf("  copy  %s\n", e.Message)
		}
	case "start":
		if r.g.Verbose {
			r.clearBar()
			r.g.errf("  start %s\n", e.Node)
		}
	case "done":
		r.clearBar()
		switch {
		case e.Status == "cancelled":
			r.g.errf("  cancelled %s\n", e.Node)
		case e.Status != "ok":
			r.g.errf("  FAIL  %s: %s\n", e.Node, e.Error)
		case !r.g.Quiet:
			r.g.errf("  ok    %s\n", e.Node)
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
