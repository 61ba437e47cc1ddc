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
		newBackupDeleteCommand(g), newBackupPruneCommand(g), newBackupCopyCommand(g), newBackupDownloadCommand(g),
		newBackupExportCommand(g), newBackupImportCommand(g))
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
	var o listOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the snapshots of every target (a table; --json for JSON)",
		Long: `List the snapshots of every target, oldest first: one row per snapshot,
with every target that holds a copy.

A deployment's versions and snapshots (velin rollback create-version) are
stored in the same repositories, under the backup name deployment.NAME; they
are left out unless --deployments is given, which adds a KIND column
(backup or deployment). ` + "`velin rollback list`" + ` is their own listing.`,
		Example: `  velin backup list
  velin backup list --target local.disk --json
  velin backup list --host web-1
  velin backup list --deployments`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withRepoWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				return listSnapshots(ctx, g, ws, o)
			})(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.Target, "target", "", "only this target, as TYPE.NAME")
	cmd.Flags().StringVar(&o.Host, "host", "", "only snapshots of this host (its name, or its machine id)")
	cmd.Flags().BoolVar(&o.Deployments, "deployments", false, "also list deployments' versions and snapshots (a KIND column)")
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

// listedSnapshot is one snapshot with every target that holds it.
type listedSnapshot struct {
	Targets []string // addresses, in the order listed
	*repo.Manifest
}

// collectSnapshots lists the snapshots of addrs (of host, if given), one
// entry per snapshot however many targets hold a copy, oldest first.
func collectSnapshots(ctx context.Context, ws *workspace.Workspace, addrs []string, host string) ([]*listedSnapshot, error) {
	var all []*listedSnapshot
	byID := map[string]*listedSnapshot{}
	for _, addr := range addrs {
		r, err := ws.Repo(ctx, addr, false)
		if err != nil {
			return nil, err
		}
		if r == nil {
			continue // no repository there yet
		}
		snaps, err := r.Snapshots(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range snaps {
			if host != "" && m.Host != host && (m.MachineID == "" || m.MachineID != host) {
				continue
			}
			if s := byID[m.ID]; s != nil && s.Time.Equal(m.Time) && s.Host == m.Host {
				s.Targets = append(s.Targets, addr)
				continue
			}
			s := &listedSnapshot{Targets: []string{addr}, Manifest: m}
			byID[m.ID] = s
			all = append(all, s)
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].Time.Equal(all[j].Time) {
			return all[i].Time.Before(all[j].Time)
		}
		return all[i].ID < all[j].ID
	})
	return all, nil
}

func shortTargets(addrs []string) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = strings.TrimPrefix(a, "target.")
	}
	return out
}

// listOptions are the flags of `backup list`.
type listOptions struct {
	Target, Host string
	Deployments  bool // also deployments' versions and snapshots
}

func listSnapshots(ctx context.Context, g *globalOptions, ws *workspace.Workspace, o listOptions) error {
	addrs, err := targetsOf(ws, o.Target)
	if err != nil {
		return err
	}
	all, err := collectSnapshots(ctx, ws, addrs, o.Host)
	if err != nil {
		return err
	}
	all, hidden := withoutDeployments(all, o.Deployments)
	if g.JSON {
		out := []snapshotJSON{}
		for _, s := range all {
			j := toSnapshotJSON(s.Targets[0], s.Manifest)
			j.Targets = shortTargets(s.Targets)
			out = append(out, j)
		}
		return g.printJSON(out)
	}
	if len(all) == 0 {
		g.out("No snapshots yet in %s. Run `velin apply` to make one.\n", strings.Join(addrs, ", "))
	} else if err := snapshotTable(g, all, o.Deployments); err != nil {
		return err
	}
	if hidden > 0 {
		g.out("(%d deployment version(s) not shown: `velin backup list --deployments` or `velin rollback list`)\n", hidden)
	}
	return nil
}

// withoutDeployments drops deployments' versions unless keep, and says how
// many it dropped.
func withoutDeployments(all []*listedSnapshot, keep bool) ([]*listedSnapshot, int) {
	if keep {
		return all, 0
	}
	out := all[:0:0]
	for _, s := range all {
		if !s.IsDeployment() {
			out = append(out, s)
		}
	}
	return out, len(all) - len(out)
}

func snapshotTable(g *globalOptions, all []*listedSnapshot, kinds bool) error {
	header := []string{"ID", "TIME", "HOST", "BACKUP", "SOURCES", "SIZE", "STORED", "TARGETS", "VERIFIED"}
	if kinds {
		header = append([]string{"KIND"}, header...)
	}
	var rows [][]string
	for _, s := range all {
		var srcs []string
		for _, sm := range s.Sources {
			srcs = append(srcs, sm.Key)
		}
		sort.Strings(srcs)
		row := []string{s.ID, s.Time.Local().Format(timeFormat), s.Host, s.Backup,
			strings.Join(srcs, ","), bytesize.Format(s.Size), bytesize.Format(s.StoredBytes),
			strings.Join(shortTargets(s.Targets), " "), verifiedColumn(s.Verification)}
		if kinds {
			row = append([]string{snapshotKind(s.Manifest)}, row...)
		}
		rows = append(rows, row)
	}
	return table(redactWriter(g, g.env.Stdout), header, rows)
}
