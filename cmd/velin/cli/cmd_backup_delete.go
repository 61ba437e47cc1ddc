package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/plan"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
)

func newBackupDeleteCommand(g *globalOptions) *cobra.Command {
	var target string
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a snapshot and reclaim the data only it used",
		Example: `  velin backup delete 20261101-0515-full
  velin backup delete 20261101 --yes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				if args[0] == "latest" {
					return fmt.Errorf("delete: name the snapshot by its id; `latest` is too easy to get wrong here")
				}
				loc, err := findSnapshot(ctx, ws, args[0], target)
				if err != nil {
					return err
				}
				m := loc.Snapshot
				g.out("Snapshot %s of backup %q (%s, %s) will be deleted from %s.\n", m.ID, m.Backup,
					m.Time.Local().Format("2006-01-02 15:04"), plan.HumanBytes(m.Size), loc.Target)
				if !yes && !g.confirm("Delete this snapshot?") {
					return &exitError{code: 1, err: fmt.Errorf("delete cancelled: nothing was changed")}
				}
				return forgetAndPrune(ctx, g, loc.Repo, []string{m.ID}, false)
			})(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "only look in this target, as TYPE.NAME")
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return cmd
}

// forgetAndPrune removes snapshots and reclaims unreferenced data under an
// exclusive lock.
func forgetAndPrune(ctx context.Context, g *globalOptions, r *repo.Repository, ids []string, dryRun bool) error {
	lock, err := r.Lock(ctx, true)
	if err != nil {
		return err
	}
	defer lock.Unlock(context.WithoutCancel(ctx))
	if !dryRun && len(ids) > 0 {
		if err := r.Forget(ctx, ids...); err != nil {
			return fmt.Errorf("forget: %w", err)
		}
		g.out("Forgot %d snapshot(s): %s\n", len(ids), strings.Join(ids, ", "))
	}
	st, err := r.Prune(ctx, dryRun)
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	verb := "Reclaimed"
	if dryRun {
		verb = "Would reclaim"
	}
	g.out("%s %s in %s: %d pack(s) deleted, %d rewritten, %d blob(s) and %d orphan(s) removed.\n",
		verb, plan.HumanBytes(st.BytesFreed), r.Location(), st.PacksDeleted, st.PacksRewritten, st.BlobsRemoved, st.OrphansDeleted)
	return nil
}

func newBackupPruneCommand(g *globalOptions) *cobra.Command {
	var dryRun, yes bool
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Apply every backup block's retention, then reclaim unreferenced data",
		Long: `Prune forgets the snapshots each backup block's retention policy no longer
keeps, then deletes data no snapshot references (including what a crashed
backup left behind). It asks before forgetting anything (skip with --yes).`,
		Example: `  velin backup prune --dry-run
  velin backup prune --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				return runPrune(ctx, g, ws, dryRun, yes)
			})(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only show what would be forgotten and reclaimed")
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return cmd
}

func runPrune(ctx context.Context, g *globalOptions, ws *workspace.Workspace, dryRun, yes bool) error {
	byTarget := map[string][]string{}
	for _, b := range ws.Config.Backups {
		r, err := ws.Repo(ctx, b.Target.Addr, false)
		if err != nil {
			return err
		}
		ids, err := plan.Forgettable(ctx, r, b, ws.Now(), false)
		if err != nil {
			return err
		}
		byTarget[b.Target.Addr] = append(byTarget[b.Target.Addr], ids...)
		if len(ids) > 0 {
			g.out("backup.%s (%s): forget %s\n", b.Name, plan.PolicyString(b.Retention), strings.Join(ids, ", "))
		}
	}
	total := 0
	for _, ids := range byTarget {
		total += len(ids)
	}
	if total > 0 && !dryRun && !yes && !g.confirm(fmt.Sprintf("Forget %d snapshot(s) and reclaim their data?", total)) {
		return &exitError{code: 1, err: fmt.Errorf("prune cancelled: nothing was changed")}
	}
	addrs := make([]string, 0, len(byTarget))
	for a := range byTarget {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	for _, addr := range addrs {
		r, err := ws.Repo(ctx, addr, false)
		if err != nil {
			return err
		}
		if r == nil {
			continue
		}
		if err := forgetAndPrune(ctx, g, r, byTarget[addr], dryRun); err != nil {
			return err
		}
	}
	return nil
}
