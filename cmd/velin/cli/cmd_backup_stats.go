package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/engine/workspace"
)

// repoStatsJSON is one target of `backup stats --json`.
type repoStatsJSON struct {
	Target      string  `json:"target"`
	Exists      bool    `json:"exists"`
	Snapshots   int     `json:"snapshots"`
	Files       int64   `json:"files"`        // files in all snapshots, counted in each
	RestoreSize int64   `json:"restore_size"` // bytes a restore of every snapshot would write
	StoredBytes int64   `json:"stored_bytes"` // bytes of the repository's packs
	Packs       int     `json:"packs"`
	Blobs       int     `json:"blobs"`
	Ratio       float64 `json:"ratio"` // restore_size / stored_bytes: what deduplication and compression save
}

func newBackupStatsCommand(g *globalOptions) *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show how much each repository holds and stores",
		Long: `Stats shows, for every target (or --target, or -r PATH): the number of
snapshots, the files and bytes a restore of all of them would write, what
the repository stores on disk (packs, blobs, bytes) and the ratio of the
two. With --json: a list of {target, exists, snapshots, files,
restore_size, stored_bytes, packs, blobs, ratio}.`,
		Example: `  velin backup stats
  velin backup stats --target local.disk --json
  velin backup stats -r /mnt/usb/velin`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withRepoWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				return repoStats(ctx, g, ws, target)
			})(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "only this target, as TYPE.NAME")
	g.addRepoFlags(cmd)
	return cmd
}

func repoStats(ctx context.Context, g *globalOptions, ws *workspace.Workspace, target string) error {
	addrs, err := targetsOf(ws, target)
	if err != nil {
		return err
	}
	out := []repoStatsJSON{}
	for _, addr := range addrs {
		s := repoStatsJSON{Target: addr}
		r, err := ws.Repo(ctx, addr, false)
		if err != nil {
			return err
		}
		if r != nil {
			st, err := r.Stats(ctx)
			if err != nil {
				return fmt.Errorf("stats %s: %w", addr, err)
			}
			snaps, err := r.Snapshots(ctx)
			if err != nil {
				return fmt.Errorf("stats %s: %w", addr, err)
			}
			s.Exists, s.Snapshots, s.StoredBytes, s.Packs, s.Blobs = true, len(snaps), st.StoredBytes, st.Packs, st.Blobs
			for _, m := range snaps {
				s.RestoreSize += m.Size
				for _, sm := range m.Sources {
					s.Files += sm.Files
				}
			}
			if s.StoredBytes > 0 {
				s.Ratio = float64(s.RestoreSize) / float64(s.StoredBytes)
			}
		}
		out = append(out, s)
	}
	if g.JSON {
		return g.printJSON(out)
	}
	var b strings.Builder
	for _, s := range out {
		fmt.Fprintf(&b, "%s\n", strings.TrimPrefix(s.Target, "target."))
		if !s.Exists {
			b.WriteString("  no repository yet\n")
			continue
		}
		fmt.Fprintf(&b, "  snapshots:     %d\n  restore size:  %s in %d files\n  stored:        %s in %d packs, %d blobs\n  ratio:         %.2f\n",
			s.Snapshots, bytesize.Format(s.RestoreSize), s.Files, bytesize.Format(s.StoredBytes), s.Packs, s.Blobs, s.Ratio)
	}
	g.out("%s", b.String())
	return nil
}
