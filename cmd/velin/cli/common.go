package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/workspace"
)

// load reads the configuration, printing diagnostics (warnings too) on stderr.
func (g *globalOptions) load() (*workspace.Workspace, error) {
	ws, diags := g.loadDiags()
	if err := g.writeDiagnostics(ws.Files, diags, ws.Config.Secrets); err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, errReported
	}
	if g.onLoad != nil {
		g.onLoad(ws)
	}
	return ws, nil
}

// loadDiags reads the configuration and returns its diagnostics unprinted.
func (g *globalOptions) loadDiags() (*workspace.Workspace, hcl.Diagnostics) {
	ws, diags := workspace.Load(g.workspaceOptions())
	g.redactor = ws.Redactor
	return ws, diags
}

// build compiles the graph, printing diagnostics.
func (g *globalOptions) build(ws *workspace.Workspace, sel graph.Selection) (*graph.Graph, error) {
	gr, diags := graph.Build(ws.Config, sel)
	if err := g.writeDiagnostics(ws.Files, diags, ws.Config.Secrets); err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, errReported
	}
	return gr, nil
}

// confirm asks a yes/no question on stdin; only "yes" confirms.
func (g *globalOptions) confirm(question string) bool {
	ok, _ := g.ask(question)
	return ok
}

// ask is confirm that also says whether no answer came at all: stdin at
// its end (not a terminal: cron, CI, a pipe).
func (g *globalOptions) ask(question string) (ok, noAnswer bool) {
	fmt.Fprintf(g.env.Stderr, "%s\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", question)
	line, err := bufio.NewReader(g.env.Stdin).ReadString('\n')
	fmt.Fprintln(g.env.Stderr)
	if err != nil && line == "" {
		return false, true
	}
	return strings.TrimSpace(line) == "yes", false
}

// printJSON writes v as indented JSON on stdout, redacted.
func (g *globalOptions) printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = io.WriteString(g.env.Stdout, g.redact(string(b))+"\n")
	return err
}

// printJSONLine writes v as one line of JSON on stdout, redacted.
func (g *globalOptions) printJSONLine(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = io.WriteString(g.env.Stdout, g.redact(string(b))+"\n")
	return err
}

// out prints a line on stdout, redacted.
func (g *globalOptions) out(format string, args ...any) {
	fmt.Fprint(g.env.Stdout, g.redact(fmt.Sprintf(format, args...)))
}

// errf prints a line on stderr, redacted.
func (g *globalOptions) errf(format string, args ...any) {
	fmt.Fprint(g.env.Stderr, g.redact(fmt.Sprintf(format, args...)))
}

func withWorkspace(g *globalOptions, fn func(ctx context.Context, ws *workspace.Workspace) error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		ws, err := g.load()
		if err != nil {
			return err
		}
		defer ws.Close()
		return fn(ctx, ws)
	}
}
