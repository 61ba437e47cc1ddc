package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
)

func newBackupCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Create, list, inspect, restore, verify and delete snapshots",
		Example: `  velin backup create --backup nightly
  velin backup list
  velin backup restore latest --to /tmp/restore`,
	}
	cmd.AddCommand(newBackupCreateCommand(g), newBackupListCommand(g), newBackupShowCommand(g),
		newBackupInspectCommand(g), newBackupRestoreCommand(g), newBackupVerifyCommand(g),
		newBackupDeleteCommand(g), newBackupPruneCommand(g))
	cmd.AddCommand(newBackupCheckCommand(g), newBackupRepairCommand(g), newBackupUnlockCommand(g))
	cmd.AddCommand(newBackupLsCommand(g), newBackupFindCommand(g), newBackupDiffCommand(g), newBackupStatsCommand(g))
	return cmd
}

func newBackupCreateCommand(g *globalOptions) *cobra.Command {
	o := &applyOptions{AutoApprove: true}
	var name string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Run one backup block now, without the plan prompt",
		Long: `Create runs one backup block (its before/after/finally steps, verification and
retention included) without asking. With --destination DIR the snapshot goes
to a local repository at DIR (created if needed, with the target's
passphrase) instead of the block's target.`,
		Example: `  velin backup create
  velin backup create --backup nightly --strategy full
  velin backup create --destination /mnt/usb/velin`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				n, err := pickBackup(ws, name)
				if err != nil {
					return err
				}
				o.sel.Backups = []string{n}
				p, err := makePlan(ctx, g, ws, o.sel, o.Strategy)
				if err != nil {
					return err
				}
				if errs := p.Errors(); len(errs) > 0 {
					return planFailure(p, fmt.Errorf("backup create: %s", strings.Join(errs, "; ")))
				}
				gr, err := g.build(ws, o.sel.selection())
				if err != nil {
					return err
				}
				return execute(ctx, g, ws, gr, p, o)
			})(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&name, "backup", "", "the backup block to run (default: the only one)")
	cmd.Flags().StringVar(&o.Strategy, "strategy", "", "full or incremental (default: the block's)")
	cmd.Flags().StringVar(&o.Destination, "destination", "", "send the snapshot to a local repository at DIR")
	cmd.Flags().IntVar(&o.Parallelism, "parallelism", 4, "how many actions may run at once")
	return cmd
}

// pickBackup returns name, or the only backup block when name is empty.
func pickBackup(ws *workspace.Workspace, name string) (string, error) {
	var names []string
	for _, b := range ws.Config.Backups {
		names = append(names, b.Name)
	}
	sort.Strings(names)
	if name != "" {
		if _, ok := ws.Config.Backups["backup."+name]; !ok {
			return "", fmt.Errorf("backup create: no backup block %q (known: %s)", name, strings.Join(names, ", "))
		}
		return name, nil
	}
	if len(names) != 1 {
		return "", fmt.Errorf("backup create: the configuration has %d backup blocks (%s): choose one with --backup NAME", len(names), strings.Join(names, ", "))
	}
	return names[0], nil
}

func newBackupListCommand(g *globalOptions) *cobra.Command {
	var target, host string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the snapshots of every target (a table; --json for JSON)",
		Example: `  velin backup list
  velin backup list --target local.disk --json
  velin backup list --host web-1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withRepoWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				return listSnapshots(ctx, g, ws, target, host)
			})(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "only this target, as TYPE.NAME")
	cmd.Flags().StringVar(&host, "host", "", "only snapshots of this host (its name, or its machine id)")
	g.addRepoFlags(cmd)
	return cmd
}

// verifiedColumn is the VERIFIED column of `backup list`: yes, FAILED
// (a check failed: the snapshot is not verified), or - (nothing checked).
func verifiedColumn(v *repo.Verification) string {
	switch verificationStatus(v) {
	case "ok":
		return "yes"
	case "failed":
		return "FAILED"
	}
	return "-"
}

type listedSnapshot struct {
	Target string `json:"target"`
	*repo.Manifest
}

func listSnapshots(ctx context.Context, g *globalOptions, ws *workspace.Workspace, target, host string) error {
	addrs, err := targetsOf(ws, target)
	if err != nil {
		return err
	}
	var all []listedSnapshot
	for _, addr := range addrs {
		r, err := ws.Repo(ctx, addr, false)
		if err != nil {
			return err
		}
		if r == nil {
			continue
		}
		snaps, err := r.Snapshots(ctx)
		if err != nil {
			return err
		}
		for _, m := range snaps {
			if host == "" || m.Host == host || (m.MachineID != "" && m.MachineID == host) {
				all = append(all, listedSnapshot{Target: addr, Manifest: m})
			}
		}
	}
	if g.JSON {
		out := []snapshotJSON{}
		for _, s := range all {
			out = append(out, toSnapshotJSON(s.Target, s.Manifest))
		}
		return g.printJSON(out)
	}
	if len(all) == 0 {
		g.out("No snapshots yet in %s. Run `velin apply` to make one.\n", strings.Join(addrs, ", "))
		return nil
	}
	var rows [][]string
	for _, s := range all {
		var srcs []string
		for _, sm := range s.Sources {
			srcs = append(srcs, sm.Key)
		}
		sort.Strings(srcs)
		rows = append(rows, []string{s.ID, s.Time.Local().Format(timeFormat), s.Host, s.Backup,
			strings.Join(srcs, ","), bytesize.Format(s.Size), bytesize.Format(s.StoredBytes), strings.TrimPrefix(s.Target, "target."),
			verifiedColumn(s.Verification)})
	}
	return table(redactWriter(g, g.env.Stdout), []string{"ID", "TIME", "HOST", "BACKUP", "SOURCES", "SIZE", "STORED", "TARGET", "VERIFIED"}, rows)
}
