package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/apply"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
)

func newBackupCopyCommand(g *globalOptions) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "copy ID --to TYPE.NAME",
		Short: "Copy a snapshot to another target",
		Long: `Copy sends one snapshot to another target of the plan, with only the data
that target lacks; the target may have its own passphrase (the data is
re-encrypted). A target without a repository gets one that shares the
chunker of the snapshot's repository, so nothing is re-chunked; a
repository made otherwise is re-chunked into, and the output says so.
The snapshot keeps its id, host and time, and appears on the target only
once all its data is stored there. Copying a snapshot the target has
already sends nothing. Nothing is deleted anywhere.

Exit codes: 0 copied (or present already), 1 failed.`,
		Example: `  velin backup copy 20261101-0515-full --to local.offsite
  velin backup copy latest --from local.disk --to s3.offsite --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				return runCopy(ctx, g, ws, args[0], from, to)
			})(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the target to copy to, as TYPE.NAME (required)")
	cmd.Flags().StringVar(&from, "from", "", "the target to copy from (default: the one that holds the snapshot)")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func newBackupDownloadCommand(g *globalOptions) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "download ID --from TYPE.NAME",
		Short: "Fetch a snapshot from a remote target into the plan's primary one",
		Long: `Download copies one snapshot from a target (an offsite copy) into the
target of the backup block that made it (the primary target; --to names
another), sending only the data that one lacks, so that it can be
restored or browsed locally. It is ` + "`velin backup copy`" + ` in the other direction.

Exit codes: 0 downloaded (or present already), 1 failed.`,
		Example: `  velin backup download 20261101-0515-full --from s3.offsite
  velin backup download latest --from local.offsite --to local.disk`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				return runDownload(ctx, g, ws, args[0], from, to)
			})(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the target to download from, as TYPE.NAME (required)")
	cmd.Flags().StringVar(&to, "to", "", "the target to download into (default: the primary target of the snapshot's backup)")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// copyOutput is the --json shape of copy and download.
type copyOutput struct {
	Snapshot  string `json:"snapshot"`
	From      string `json:"from"`
	To        string `json:"to"`
	Present   bool   `json:"present"`   // the target had it: nothing sent
	Rechunked bool   `json:"rechunked"` // the target chunks differently
	Blobs     int64  `json:"blobs_sent"`
	Reused    int64  `json:"blobs_present"`
	Bytes     int64  `json:"bytes_sent"`
	Stored    int64  `json:"bytes_stored"`
}

func runCopy(ctx context.Context, g *globalOptions, ws *workspace.Workspace, id, from, to string) error {
	dst, err := targetAddr(ws, to)
	if err != nil {
		return err
	}
	if from != "" {
		loc, err := findSnapshot(ctx, ws, id, from)
		if err != nil {
			return err
		}
		return copyAndReport(ctx, g, ws, loc, dst)
	}
	loc, err := findElsewhere(ctx, ws, id, dst)
	if err != nil {
		return err
	}
	return copyAndReport(ctx, g, ws, loc, dst)
}

// findElsewhere finds snapshot id in the first target other than dst that
// holds it (a snapshot copied to several targets is the same everywhere).
func findElsewhere(ctx context.Context, ws *workspace.Workspace, id, dst string) (*located, error) {
	var others []string
	for _, addr := range ws.TargetAddrs() {
		if addr == dst {
			continue
		}
		others = append(others, addr)
		loc, err := findSnapshot(ctx, ws, id, addr)
		if err == nil {
			return loc, nil
		}
		if !errors.Is(err, errNoSuchSnapshot) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("copy: no snapshot %q in %s; `velin backup list` shows the snapshots", id, strings.Join(others, ", "))
}

func runDownload(ctx context.Context, g *globalOptions, ws *workspace.Workspace, id, from, to string) error {
	if _, err := targetAddr(ws, from); err != nil {
		return err
	}
	loc, err := findSnapshot(ctx, ws, id, from)
	if err != nil {
		return err
	}
	if to == "" {
		if to, err = primaryTarget(ws, loc.Snapshot); err != nil {
			return err
		}
	}
	dst, err := targetAddr(ws, to)
	if err != nil {
		return err
	}
	return copyAndReport(ctx, g, ws, loc, dst)
}

// targetAddr turns "local.disk" or "target.local.disk" into a declared
// target's address.
func targetAddr(ws *workspace.Workspace, name string) (string, error) {
	addrs, err := targetsOf(ws, name)
	if err != nil {
		return "", err
	}
	if name == "" || len(addrs) != 1 {
		return "", fmt.Errorf("name a target as TYPE.NAME (known: %s)", strings.Join(shortTargets(ws.TargetAddrs()), ", "))
	}
	return addrs[0], nil
}

// primaryTarget is the target of the backup block that made m.
func primaryTarget(ws *workspace.Workspace, m *repo.Manifest) (string, error) {
	if b, ok := ws.Config.Backups["backup."+m.Backup]; ok {
		return b.Target.Addr, nil
	}
	return "", fmt.Errorf("download: the plan has no backup block %q (which made %s) to take the primary target from; name one with --to TYPE.NAME", m.Backup, m.ID)
}

func copyAndReport(ctx context.Context, g *globalOptions, ws *workspace.Workspace, loc *located, to string) error {
	st, err := apply.CopySnapshot(ctx, ws, loc.Target, to, loc.Snapshot.ID)
	if err != nil {
		return err
	}
	if g.JSON {
		return g.printJSON(copyOutput{Snapshot: st.ID, From: strings.TrimPrefix(loc.Target, "target."),
			To: strings.TrimPrefix(to, "target."), Present: st.Present, Rechunked: st.Rechunked,
			Blobs: st.Blobs, Reused: st.Reused, Bytes: st.Bytes, Stored: st.Stored})
	}
	g.out("%s.\n", apply.DescribeCopy(st, strings.TrimPrefix(to, "target.")))
	return nil
}
