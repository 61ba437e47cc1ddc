package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/engine/forget"
	"github.com/velinhq/velin/engine/workspace"
)

func newBackupDeleteCommand(g *globalOptions) *cobra.Command {
	var target string
	var yes, dryRun bool
	cmd := &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a snapshot and reclaim the data only it used",
		Long: `Delete forgets one snapshot and reclaims the data no other snapshot uses,
under an exclusive lock. It asks first (skip with --yes); --dry-run shows
what it would reclaim and changes nothing. A snapshot copied to several
targets (copy_to, backup copy) is deleted on the one --target names only;
its copies elsewhere stay.`,
		Example: `  velin backup delete 20261101-0515-full
  velin backup delete 20261101 --yes
  velin backup delete 20261101-0515-full --target local.offsite --yes
  velin backup delete 20261101-0515-full --dry-run --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				return runDelete(ctx, g, ws, args[0], target, yes, dryRun)
			})(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "delete on this target only, as TYPE.NAME (required when several hold the snapshot)")
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only show what would be deleted and reclaimed")
	return cmd
}

// forgetOutput is the --json shape of delete, and of each target of prune.
type forgetOutput struct {
	Target string `json:"target"`
	*forget.Result
}

func runDelete(ctx context.Context, g *globalOptions, ws *workspace.Workspace, id, target string, yes, dryRun bool) error {
	if id == "latest" {
		return fmt.Errorf("delete: name the snapshot by its id; `latest` is too easy to get wrong here")
	}
	loc, err := findSnapshot(ctx, ws, id, target)
	if err != nil {
		return err
	}
	m := loc.Snapshot
	if !g.JSON {
		g.out("Snapshot %s of backup %q (%s, %s) will be deleted from %s.\n", m.ID, m.Backup,
			m.Time.Local().Format("2006-01-02 15:04 MST"), bytesize.Format(m.Size), loc.Target)
	}
	if !dryRun && !yes && !g.confirm("Delete this snapshot?") {
		return &exitError{code: exitFailure, err: fmt.Errorf("delete cancelled: nothing was changed")}
	}
	res, err := forget.Run(ctx, loc.Repo, []string{m.ID}, dryRun)
	if err != nil {
		return err
	}
	if g.JSON {
		return g.printJSON(forgetOutput{Target: loc.Target, Result: res})
	}
	g.out("%s", reclaimLine(res))
	return nil
}

// reclaimLine says what a forget and prune did or would do.
func reclaimLine(res *forget.Result) string {
	var b strings.Builder
	verb := "Reclaimed"
	if res.DryRun {
		verb = "Would reclaim"
		if len(res.Forgotten) > 0 {
			fmt.Fprintf(&b, "Would forget %d snapshot(s): %s\n", len(res.Forgotten), strings.Join(res.Forgotten, ", "))
		}
	} else if len(res.Forgotten) > 0 {
		fmt.Fprintf(&b, "Forgot %d snapshot(s): %s\n", len(res.Forgotten), strings.Join(res.Forgotten, ", "))
	}
	st := res.Reclaimed
	fmt.Fprintf(&b, "%s %s in %s: %d pack(s) deleted, %d rewritten, %d blob(s) and %d orphan(s) removed.\n",
		verb, bytesize.Format(st.BytesFreed), res.Repository, st.PacksDeleted, st.PacksRewritten, st.BlobsRemoved, st.OrphansDeleted)
	if st.PacksMarked > 0 {
		mark := "Marked"
		if res.DryRun {
			mark = "Would mark"
		}
		fmt.Fprintf(&b, "%s %d unused pack(s) (%s) for deletion: a prune after the grace period deletes them if still unused.\n",
			mark, st.PacksMarked, bytesize.Format(st.BytesMarked))
	}
	return b.String()
}
