package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/plan"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
	"github.com/velinhq/velin/providers/provider"
)

type restoreOptions struct {
	Target  string
	Sources []string
	To      string
	Include []string
	Yes     bool
}

func newBackupRestoreCommand(g *globalOptions) *cobra.Command {
	o := &restoreOptions{}
	cmd := &cobra.Command{
		Use:   "restore ID",
		Short: "Restore a snapshot (ID, a unique prefix, or latest)",
		Long: `Restore writes a snapshot's sources back: in place by default, or under --to.
It first lists what will be overwritten and asks for 'yes' (skip with --yes).
Files are written to a temporary name and renamed; a restore never writes
outside its destination. A file-tree restore does not delete files that are
not in the snapshot.`,
		Example: `  velin backup restore latest --to /tmp/restored
  velin backup restore 20261121-0515 --source files.site --include 'site/uploads/**'
  velin backup restore latest --source sqlite.app --yes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				return runRestore(ctx, g, ws, args[0], o)
			})(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.Target, "target", "", "only look in this target, as TYPE.NAME")
	cmd.Flags().StringArrayVar(&o.Sources, "source", nil, "restore only this source, as TYPE.NAME (repeatable)")
	cmd.Flags().StringVar(&o.To, "to", "", "restore under this directory instead of in place")
	cmd.Flags().StringArrayVar(&o.Include, "include", nil, "restore only paths matching this glob (repeatable)")
	cmd.Flags().BoolVar(&o.Yes, "yes", false, "do not ask for confirmation")
	return cmd
}

type restoreItem struct {
	sm      repo.SourceManifest
	src     *config.Source
	tree    provider.Tree
	opts    provider.RestoreOptions
	changes []provider.Change
}

func runRestore(ctx context.Context, g *globalOptions, ws *workspace.Workspace, id string, o *restoreOptions) error {
	loc, err := findSnapshot(ctx, ws, id, o.Target)
	if err != nil {
		return err
	}
	items, err := restoreItems(ctx, ws, loc, o)
	if err != nil {
		return err
	}
	overwrites := showRestorePlan(g, loc, items)
	if overwrites > 0 && !o.Yes && !g.confirm(fmt.Sprintf("Restore will overwrite %d existing item(s). Continue?", overwrites)) {
		return &exitError{code: 1, err: fmt.Errorf("restore cancelled: nothing was changed")}
	}
	lock, err := loc.Repo.Lock(ctx, false)
	if err != nil {
		return err
	}
	defer lock.Unlock(context.WithoutCancel(ctx))
	var total int64
	for _, it := range items {
		total += it.sm.Bytes
	}
	bar := g.progressBar(total, "restoring")
	for _, it := range items {
		tree := countingTree{Tree: it.tree, add: addFunc(bar)}
		if err := it.src.Impl.Restore(ctx, tree, it.opts); err != nil {
			finishBar(bar)
			return fmt.Errorf("restore %s: %w", it.sm.Key, err)
		}
	}
	finishBar(bar)
	for _, it := range items {
		g.errf("  ok    restored %s\n", it.sm.Key)
	}
	g.out("Restored %d source(s) from snapshot %s.\n", len(items), loc.Snapshot.ID)
	return nil
}

func restoreItems(ctx context.Context, ws *workspace.Workspace, loc *located, o *restoreOptions) ([]*restoreItem, error) {
	want := map[string]bool{}
	for _, s := range o.Sources {
		want[strings.TrimPrefix(s, "source.")] = true
	}
	var items []*restoreItem
	for _, sm := range loc.Snapshot.Sources {
		if len(want) > 0 && !want[sm.Key] {
			continue
		}
		delete(want, sm.Key)
		src, ok := ws.Config.Sources["source."+sm.Key]
		if !ok {
			return nil, fmt.Errorf("restore: source.%s is not in the configuration; add its block so velin knows how to restore it", sm.Key)
		}
		tree, err := loc.Repo.Tree(ctx, loc.Snapshot, sm.Key)
		if err != nil {
			return nil, err
		}
		opts := provider.RestoreOptions{Include: o.Include}
		if o.To != "" {
			abs, err := filepath.Abs(o.To)
			if err != nil {
				return nil, err
			}
			opts.To = abs
		}
		changes, err := src.Impl.PlanRestore(ctx, tree, opts)
		if err != nil {
			return nil, fmt.Errorf("restore %s: %w", sm.Key, err)
		}
		items = append(items, &restoreItem{sm: sm, src: src, tree: tree, opts: opts, changes: changes})
	}
	for k := range want {
		return nil, fmt.Errorf("restore: snapshot %s has no source %q", loc.Snapshot.ID, k)
	}
	return items, nil
}

// showRestorePlan prints what the restore will change and returns how many
// existing items it overwrites or deletes.
func showRestorePlan(g *globalOptions, loc *located, items []*restoreItem) int {
	var b strings.Builder
	n := 0
	fmt.Fprintf(&b, "Restore from snapshot %s (%s):\n", loc.Snapshot.ID, loc.Target)
	for _, it := range items {
		dest := it.opts.To
		if dest == "" {
			dest = "in place (" + it.sm.Identity + ")"
		}
		fmt.Fprintf(&b, "  %s -> %s\n", it.sm.Key, dest)
		created, shown := 0, 0
		for _, c := range it.changes {
			if c.Action == "create" {
				created++
				continue
			}
			n++
			if shown++; shown <= plan.MaxListed {
				fmt.Fprintf(&b, "      %s %s %s%s\n", changeSign(c.Action), c.Action, c.What, parens(c.Detail))
			}
		}
		if shown > plan.MaxListed {
			fmt.Fprintf(&b, "      … and %d more existing item(s)\n", shown-plan.MaxListed)
		}
		if created > 0 {
			fmt.Fprintf(&b, "      + %d new item(s)\n", created)
		}
	}
	g.out("%s", b.String())
	return n
}

func changeSign(action string) string {
	if action == "delete" || action == "drop" {
		return "-"
	}
	return "~"
}

func parens(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
