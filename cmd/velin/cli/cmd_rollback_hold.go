package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/txn"
	"github.com/velinhq/velin/engine/workspace"
)

// releasedHold is one hold `rollback release-hold` removed.
type releasedHold struct {
	Target string `json:"target"`
	repo.Hold
}

func newReleaseHoldCommand(g *globalOptions) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "release-hold SNAPSHOT",
		Short: "Release the hold a transaction that ended left on its database snapshot",
		Long: `A transaction with transaction.backup holds its database snapshot in every
target that has it until it commits or rolls back; retention, prune and
delete keep a held snapshot. The hold is released when the transaction ends,
but a repository that cannot be reached at that moment keeps it (the log says
so). Release-hold removes the holds on SNAPSHOT in every target of the plan
once their transaction has ended in this host's journal; after that,
retention treats the snapshot as usual.

The hold of a transaction still open (or whose rollback failed) is refused:
its rollback may need the snapshot. A hold put by another host, or by a
transaction this journal does not know, is refused unless --force. Nothing
is released when any hold is refused.

Exit codes:
  0  released (or the snapshot had no hold)
  1  error
  4  refused (a hold's transaction has not ended; another host's hold)`,
		Example: `  velin rollback release-hold 3f2a9c1d
  velin rollback release-hold 3f2a9c1d --force --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				return runReleaseHold(ctx, g, ws, args[0], force)
			})(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "also release holds of another host or of a transaction unknown here")
	return cmd
}

func runReleaseHold(ctx context.Context, g *globalOptions, ws *workspace.Workspace, id string, force bool) error {
	m, closeAll := g.txManager()
	defer closeAll()
	holds, err := heldBy(ctx, ws, id)
	if err != nil {
		return fmt.Errorf("release-hold %s: %w", id, err)
	}
	for _, h := range holds {
		if err := m.ReleasableHold(h.Owner, h.Host, force); err != nil {
			return txError(fmt.Errorf("release-hold %s in %s: %w", id, h.Target, err))
		}
	}
	released := []releasedHold{}
	for _, h := range holds {
		r, err := ws.Repo(ctx, h.Target, false)
		if err == nil {
			err = r.DeleteHold(ctx, h.Hold)
		}
		if err != nil {
			return fmt.Errorf("release-hold %s in %s: %w", id, h.Target, err)
		}
		released = append(released, h)
	}
	if g.JSON {
		return g.printJSON(map[string]any{"snapshot": id, "released": released})
	}
	for _, h := range released {
		g.out("Released the hold of %s on snapshot %s in %s.\n", h.Hold, id, h.Target)
	}
	if len(released) == 0 {
		g.out("Snapshot %s has no hold in any target.\n", id)
	}
	return nil
}

// heldBy lists the holds on snapshot id in every target of ws.
func heldBy(ctx context.Context, ws *workspace.Workspace, id string) ([]releasedHold, error) {
	var out []releasedHold
	err := eachTargetRepo(ctx, ws, func(addr string, r *repo.Repository) error {
		all, err := r.Holds(ctx)
		for _, h := range all[id] {
			out = append(out, releasedHold{Target: addr, Hold: h})
		}
		return err
	})
	return out, err
}

// eachTargetRepo calls fn with the repository of every target of ws that
// has one.
func eachTargetRepo(ctx context.Context, ws *workspace.Workspace, fn func(addr string, r *repo.Repository) error) error {
	for _, addr := range ws.TargetAddrs() {
		r, err := ws.Repo(ctx, addr, false)
		if err != nil {
			return err
		}
		if r == nil {
			continue
		}
		if err := fn(addr, r); err != nil {
			return fmt.Errorf("%s: %w", addr, err)
		}
	}
	return nil
}

// holdOf is the hold transaction txID of deployment puts on snapshot id.
func holdOf(g *globalOptions, deployment, id, txID string) repo.Hold {
	host, _ := os.Hostname()
	return repo.Hold{Snapshot: id, Owner: txn.HoldOwner(txID), Deployment: deployment, Host: host, Time: g.env.Clock().UTC()}
}
