package cli

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
	"github.com/velinhq/velin/providers/provider"
)

func newBackupShowCommand(g *globalOptions) *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a snapshot's manifest (ID, a unique prefix, or latest)",
		Example: `  velin backup show 20261121-0515
  velin backup show latest --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withRepoWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				loc, err := findSnapshot(ctx, ws, args[0], target)
				if err != nil {
					return err
				}
				if g.JSON {
					return g.printJSON(toSnapshotJSON(loc.Target, loc.Snapshot))
				}
				showManifest(g, loc)
				return nil
			})(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "only look in this target, as TYPE.NAME")
	g.addRepoFlags(cmd)
	return cmd
}

func showManifest(g *globalOptions, loc *located) {
	m := loc.Snapshot
	var b strings.Builder
	fmt.Fprintf(&b, "Snapshot %s\n", m.ID)
	fmt.Fprintf(&b, "  time:      %s\n  host:      %s\n  backup:    %s (%s)\n  target:    %s\n  velin:     %s\n",
		m.Time.Local().Format(timeFormat), m.Host, m.Backup, m.Strategy, loc.Target, m.VelinVersion)
	if m.Parent != "" {
		fmt.Fprintf(&b, "  parent:    %s\n", m.Parent)
	}
	fmt.Fprintf(&b, "  size:      %s (%s newly stored)\n", bytesize.Format(m.Size), bytesize.Format(m.StoredBytes))
	writeStats(&b, m.Stats)
	for _, s := range m.Sources {
		fmt.Fprintf(&b, "  source %s\n    identity: %s\n", s.Key, s.Identity)
		if s.ServerVersion != "" {
			fmt.Fprintf(&b, "    version:  %s\n", s.ServerVersion)
		}
		fmt.Fprintf(&b, "    files:    %d, %s\n", s.Files, bytesize.Format(s.Bytes))
		if s.Rows > 0 || s.Tables > 0 {
			fmt.Fprintf(&b, "    rows:     %d in %d tables\n", s.Rows, s.Tables)
		}
		fmt.Fprintf(&b, "    root:     %s\n", s.Root)
		if s.Checksum != "" {
			fmt.Fprintf(&b, "    checksum: %s\n", s.Checksum)
		}
		writeSourceNotes(&b, "    ", s)
	}
	if m.Verification != nil {
		b.WriteString("  verification:\n")
		writeVerification(&b, m.Verification)
	}
	g.out("%s", b.String())
}

func newBackupInspectCommand(g *globalOptions) *cobra.Command {
	var target string
	var depth int
	cmd := &cobra.Command{
		Use:   "inspect ID",
		Short: "Show a snapshot as a tree of sources and directories with sizes and counts",
		Example: `  velin backup inspect latest
  velin backup inspect 20261121 --depth 3`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withRepoWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				loc, err := findSnapshot(ctx, ws, args[0], target)
				if err != nil {
					return err
				}
				return inspect(ctx, g, loc, depth)
			})(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "only look in this target, as TYPE.NAME")
	cmd.Flags().IntVar(&depth, "depth", 2, "how many directory levels to show")
	g.addRepoFlags(cmd)
	return cmd
}

// dirStat aggregates one directory of a snapshot tree.
type dirStat struct {
	Path  string `json:"path"`
	Files int64  `json:"files"`
	Bytes int64  `json:"bytes"`
}

func inspect(ctx context.Context, g *globalOptions, loc *located, depth int) error {
	type sourceTree struct {
		Key  string     `json:"source"`
		Dirs []*dirStat `json:"dirs"`
	}
	out := []sourceTree{}
	for _, sm := range loc.Snapshot.Sources {
		tree, err := loc.Repo.Tree(ctx, loc.Snapshot, sm.Key)
		if err != nil {
			return err
		}
		dirs, err := aggregate(ctx, tree, depth)
		if err != nil {
			return err
		}
		out = append(out, sourceTree{Key: sm.Key, Dirs: dirs})
	}
	if g.JSON {
		return g.printJSON(out)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", loc.Snapshot.ID)
	for _, st := range out {
		for _, d := range st.Dirs {
			name, indent := st.Key, "  "
			if d.Path != "" {
				name = path.Base(d.Path) + "/"
				indent = strings.Repeat("  ", strings.Count(d.Path, "/")+2)
			}
			fmt.Fprintf(&b, "%s%-*s %8d files %10s\n", indent, max(1, 40-len(indent)), name, d.Files, bytesize.Format(d.Bytes))
		}
	}
	g.out("%s", b.String())
	return nil
}

// aggregate sums files and bytes per directory down to depth levels; the
// entry with Path "" is the whole source.
func aggregate(ctx context.Context, tree provider.Tree, depth int) ([]*dirStat, error) {
	stats := map[string]*dirStat{"": {}}
	err := tree.Walk(ctx, func(e provider.Entry) error {
		parts := strings.Split(e.Path, "/")
		if e.Kind == provider.KindDir && len(parts) <= depth {
			if _, ok := stats[e.Path]; !ok {
				stats[e.Path] = &dirStat{Path: e.Path}
			}
		}
		if e.Kind != provider.KindFile { // a hard link's content is its first name's: counted once
			return nil
		}
		for i := 0; i < len(parts) && i <= depth; i++ {
			key := strings.Join(parts[:i], "/")
			if s, ok := stats[key]; ok {
				s.Files++
				s.Bytes += e.Size
			}
		}
		return nil
	})
	list := make([]*dirStat, 0, len(stats))
	for _, s := range stats {
		list = append(list, s)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	return list, err
}

// writeSourceNotes lists what a source's snapshot left out or holds
// incomplete, and the configured paths that were symlinks.
func writeSourceNotes(b *strings.Builder, indent string, s repo.SourceManifest) {
	names := make([]string, 0, len(s.Links))
	for name := range s.Links {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(b, "%slink:       %s is a symlink to %s (followed)\n", indent, name, s.Links[name])
	}
	for _, p := range s.Skipped {
		fmt.Fprintf(b, "%sskipped:    %s (%s)\n", indent, p.Path, p.Err)
	}
	for _, p := range s.Incomplete {
		fmt.Fprintf(b, "%sincomplete: %s: %s: %s\n", indent, p.Path, p.Op, p.Err)
	}
}
