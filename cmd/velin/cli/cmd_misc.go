package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/redact"
	"github.com/velinhq/velin/engine/workspace"
)

func newInitCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Write a commented starter velin.hcl",
		Long:  "Writes velin.hcl in the current directory (or the directory given with -f). It never overwrites an existing file.",
		Example: `  velin init
  velin -f ./ops init`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir := g.Path
			if dir == "" {
				dir = "."
			}
			path := filepath.Join(dir, "velin.hcl")
			if _, err := os.Stat(path); err == nil {
				return fmt.Errorf("init: %s already exists; edit it, or remove it first to start over", path)
			} else if !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("init: %w", err)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("init: %w", err)
			}
			if err := os.WriteFile(path, []byte(config.StarterFile()), 0o644); err != nil {
				return fmt.Errorf("init: %w", err)
			}
			if g.JSON {
				return g.printJSON(map[string]string{"written": path})
			}
			g.out("Wrote %s. Set VELIN_PASSPHRASE, then run `velin plan`.\n", path)
			return nil
		},
	}
}

func newValidateCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check the configuration without touching any source or repository",
		Long: `Validate reads the configuration and compiles its dependency graph; every
mistake is printed as file:line:col with the source line. With --json it
prints one document: {"valid", "error_count", "warning_count", "diagnostics"}.`,
		Example: "  velin validate\n  velin validate -f ./plans/site.velin.hcl\n  velin validate --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.JSON {
				return validateJSON(g)
			}
			return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				if _, err := g.build(ws, graph.Selection{}); err != nil {
					return err
				}
				// Advice about secrets names no secret: printed unmasked.
				if err := config.WriteDiagnostics(g.env.Stderr, ws.Files, ws.Config.Advice, g.env.Terminal); err != nil {
					return err
				}
				g.out("The configuration is valid.\n")
				return nil
			})(cmd.Context())
		},
	}
}

// validateJSON prints the outcome of validate, diagnostics included, as one
// JSON document on stdout.
func validateJSON(g *globalOptions) error {
	ws, diags := g.loadDiags()
	defer ws.Close()
	if !diags.HasErrors() {
		_, more := graph.Build(ws.Config, graph.Selection{})
		diags = append(diags, more...)
	}
	if !diags.HasErrors() {
		diags = append(diags, ws.Config.Advice...)
	}
	out := struct {
		Valid        bool             `json:"valid"`
		ErrorCount   int              `json:"error_count"`
		WarningCount int              `json:"warning_count"`
		Diagnostics  []jsonDiagnostic `json:"diagnostics"`
	}{Valid: !diags.HasErrors(), Diagnostics: toJSONDiagnostics(diags, redact.New(ws.Config.Secrets...))}
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			out.ErrorCount++
		} else {
			out.WarningCount++
		}
	}
	if err := g.printJSON(out); err != nil {
		return err
	}
	if !out.Valid {
		return errReported
	}
	return nil
}

func newGraphCommand(g *globalOptions) *cobra.Command {
	var sel selectionFlags
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Print the dependency graph in DOT format",
		Long: `Graph prints the dependency graph of the selected blocks in DOT format
(for Graphviz), or with --json as {"nodes": [{id, kind, phase, owner,
addr, depends_on}]}.`,
		Example: `  velin graph | dot -Tpng > graph.png
  velin graph -backup nightly
  velin graph --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				gr, err := g.build(ws, sel.selection())
				if err != nil {
					return err
				}
				if g.JSON {
					return g.printJSON(graphJSON(gr))
				}
				g.out("%s", gr.DOT())
				return nil
			})(cmd.Context())
		},
	}
	sel.AddFlags(cmd)
	return cmd
}

// selectionFlags choose which backups or which restore to run.
type selectionFlags struct {
	Backups  []string
	Restore  string
	Snapshot string
}

func (s *selectionFlags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&s.Backups, "backup", nil, "only this backup block (repeatable; default all)")
	cmd.Flags().StringVar(&s.Restore, "restore", "", "run this restore block instead of the backups")
	cmd.Flags().StringVar(&s.Snapshot, "snapshot", "", "with -restore: the snapshot id or prefix (default the latest)")
}

func (s *selectionFlags) selection() graph.Selection {
	return graph.Selection{Backups: s.Backups, Restore: s.Restore}
}

// graphNode is one node of `velin graph --json`.
type graphNode struct {
	ID        string   `json:"id"`
	Kind      string   `json:"kind"`
	Phase     string   `json:"phase"`
	Owner     string   `json:"owner"`
	Addr      string   `json:"addr"`
	DependsOn []string `json:"depends_on"`
}

func graphJSON(gr *graph.Graph) map[string][]graphNode {
	nodes := []graphNode{}
	for _, n := range gr.Nodes() {
		deps := gr.Deps(n.ID)
		if deps == nil {
			deps = []string{}
		}
		nodes = append(nodes, graphNode{ID: n.ID, Kind: fmt.Sprint(n.Kind), Phase: fmt.Sprint(n.Phase),
			Owner: n.Owner, Addr: n.Addr, DependsOn: deps})
	}
	return map[string][]graphNode{"nodes": nodes}
}
