package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/workspace"
)

func newVersionCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use: "version", Short: "Print velin's version", Args: cobra.NoArgs,
		Example: "  velin version",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.JSON {
				return g.printJSON(map[string]string{"version": Version})
			}
			g.out("velin %s\n", Version)
			return nil
		},
	}
}

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
			g.out("Wrote %s. Set VELIN_PASSPHRASE, then run `velin plan`.\n", path)
			return nil
		},
	}
}

func newValidateCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "validate",
		Short:   "Check the configuration without touching any source or repository",
		Example: "  velin validate\n  velin validate -f ./plans/site.velin.hcl",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				if _, err := g.build(ws, graph.Selection{}); err != nil {
					return err
				}
				if g.JSON {
					return g.printJSON(map[string]any{"valid": true})
				}
				g.out("The configuration is valid.\n")
				return nil
			})(cmd.Context())
		},
	}
}

func newGraphCommand(g *globalOptions) *cobra.Command {
	var sel selectionFlags
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Print the dependency graph in DOT format",
		Example: `  velin graph | dot -Tpng > graph.png
  velin graph -backup nightly`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				gr, err := g.build(ws, sel.selection())
				if err != nil {
					return err
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
