package plan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/engine/restore"
	"github.com/velinhq/velin/engine/workspace"
)

// MaxListed is how many changes of one action are shown in text output;
// the JSON output lists them all.
const MaxListed = 20

// ErrStale means a saved plan no longer matches the configuration or the
// repositories it was made against.
var ErrStale = errors.New("saved plan is stale")

// Render writes the plan for a person. Everything it writes went through the
// workspace redactor already (actions are redacted when made).
func (p *Plan) Render(w io.Writer) error {
	var b strings.Builder
	p.renderDeployments(&b)
	p.renderTransactions(&b)
	if len(p.Actions) == 0 {
		b.WriteString("No changes: nothing is selected to run.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("velin will perform these actions, in this order:\n\n")
	for _, a := range p.Actions {
		fmt.Fprintf(&b, "  %s %s\n", a.Marker, a.Summary)
		for _, d := range a.Details {
			fmt.Fprintf(&b, "      %s\n", d)
		}
		for i, c := range a.Changes {
			if i == MaxListed {
				fmt.Fprintf(&b, "      … and %d more (--json lists them all)\n", len(a.Changes)-MaxListed)
				break
			}
			fmt.Fprintf(&b, "      %s %s %s%s\n", changeMarker(c.Action), c.Action, c.What, suffix(restore.ChangeText(c.Snapshot, c.Current, c.Detail)))
		}
		if a.Error != "" {
			fmt.Fprintf(&b, "      error: %s\n", a.Error)
		}
	}
	b.WriteString("\n" + p.SummaryLine() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func changeMarker(action string) string {
	switch action {
	case "create":
		return "+"
	case "delete", "drop":
		return "-"
	}
	return "~"
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// SummaryLine is the one-line summary that ends the rendered plan.
func (p *Plan) SummaryLine() string {
	s := p.Summary
	var parts []string
	if s.Snapshots > 0 {
		parts = append(parts, fmt.Sprintf("%d snapshot(s) to create (%d source(s), %d files, %s)",
			s.Snapshots, s.Sources, s.Files, bytesize.Format(s.Bytes)))
	}
	if s.Restores > 0 {
		parts = append(parts, fmt.Sprintf("%d source(s) to restore, %d existing item(s) to overwrite", s.Restores, s.Overwrite))
	}
	parts = append(parts, fmt.Sprintf("%d to forget", s.Forget), fmt.Sprintf("%d step(s) to run", s.Steps))
	line := "Plan: " + strings.Join(parts, ", ") + "."
	if s.Errors > 0 {
		line += fmt.Sprintf(" %d error(s).", s.Errors)
	}
	return line
}

// JSON writes the plan as indented JSON.
func (p *Plan) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// CheckStale compares a saved plan with the configuration and repositories
// as they are now, and returns ErrStale (wrapped, with what changed and how
// to fix it) when they differ.
func (p *Plan) CheckStale(ctx context.Context, ws *workspace.Workspace) error {
	if p.ConfigHash != ws.Config.Hash {
		return fmt.Errorf("%w: the configuration or its variables changed since the plan was made; run `velin plan -out FILE` again", ErrStale)
	}
	for target, want := range p.Repos {
		r, err := ws.Repo(ctx, target, false)
		if err != nil {
			return err
		}
		got, err := fingerprint(ctx, r)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("%w: the repository of %s changed since the plan was made (snapshots were added or removed); run `velin plan -out FILE` again", ErrStale, target)
		}
	}
	return nil
}
