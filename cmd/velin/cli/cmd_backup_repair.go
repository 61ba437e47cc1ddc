package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
)

// maintenanceOptions are the flags every check, repair and unlock command
// shares.
type maintenanceOptions struct {
	Target string
	DryRun bool
	Yes    bool
}

// targetRepo is one opened repository and its target's address.
type targetRepo struct {
	Addr string
	Repo *repo.Repository
}

// maintainedRepos opens the repository of every target (or of --target, or
// the one of -r). A missing repository is an error: checking or repairing
// nothing must not pass.
func maintainedRepos(ctx context.Context, ws *workspace.Workspace, target string) ([]targetRepo, error) {
	addrs, err := targetsOf(ws, target)
	if err != nil {
		return nil, err
	}
	var out []targetRepo
	for _, addr := range addrs {
		r, err := ws.Repo(ctx, addr, false)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return nil, fmt.Errorf("%s: %w", addr, repo.ErrNoRepository)
		}
		out = append(out, targetRepo{Addr: addr, Repo: r})
	}
	return out, nil
}

// maintenanceCommand builds a command that runs fn on each repository.
func maintenanceCommand(g *globalOptions, o *maintenanceOptions, c *cobra.Command, fn func(ctx context.Context, tr targetRepo) error) *cobra.Command {
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		return withRepoWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
			repos, err := maintainedRepos(ctx, ws, o.Target)
			if err != nil {
				return err
			}
			for _, tr := range repos {
				if err := fn(ctx, tr); err != nil {
					return err
				}
			}
			return nil
		})(cmd.Context())
	}
	c.Args = cobra.NoArgs
	c.Flags().StringVar(&o.Target, "target", "", "only this target, as TYPE.NAME (default: every target)")
	g.addRepoFlags(c)
	return c
}

// withLock runs fn holding a lock on r.
func withLock(ctx context.Context, r *repo.Repository, exclusive bool, fn func() error) error {
	lock, err := r.Lock(ctx, exclusive)
	if err != nil {
		return err
	}
	defer lock.Unlock(context.WithoutCancel(ctx))
	return fn()
}

func newBackupRepairCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "repair",
		Short: "Rebuild the indexes from the packs, or remove references to lost data from snapshots",
		Long: `Repair fixes what "velin backup check" reports. Run "repair index" first (it
makes the indexes say exactly what the packs hold), then "repair snapshots"
if snapshots still reference data that is gone.`,
		Example: `  velin backup repair index
  velin backup repair snapshots --dry-run
  velin backup repair index -r /mnt/usb/velin`,
	}
	cmd.AddCommand(newRepairIndexCommand(g), newRepairSnapshotsCommand(g))
	return cmd
}

func newRepairIndexCommand(g *globalOptions) *cobra.Command {
	o := &maintenanceOptions{}
	c := maintenanceCommand(g, o, &cobra.Command{
		Use:   "index",
		Short: "Rebuild the indexes from the packs' own headers",
		Long: `Repair index reads the header of every pack, writes new index files that list
exactly the blobs the packs hold, and then deletes the old index files
(damaged ones included). Entries of blobs no pack holds any more are
dropped, so the next backup stores those blobs again. A pack whose header is
unreadable is named and left out of the indexes. It takes an exclusive lock.

Exit codes: 0 done, 1 error, 10 no repository, 11 locked, 12 wrong
passphrase, 130 interrupted.`,
		Example: `  velin backup repair index
  velin backup repair index --dry-run --json`,
	}, func(ctx context.Context, tr targetRepo) error {
		return withLock(ctx, tr.Repo, !o.DryRun, func() error {
			bar := g.progressBar(-1, "reading pack headers")
			add := addFunc(bar)
			rep, err := tr.Repo.RepairIndex(ctx, o.DryRun, func() { add(1) })
			finishBar(bar)
			if err != nil {
				return err
			}
			return printIndexRepair(g, tr.Addr, rep)
		})
	})
	c.Flags().BoolVar(&o.DryRun, "dry-run", false, "only report what the new indexes would list")
	return c
}

func printIndexRepair(g *globalOptions, addr string, rep *repo.IndexRepair) error {
	if g.JSON {
		return g.printJSONLine(struct {
			Target string `json:"target"`
			*repo.IndexRepair
		}{addr, rep})
	}
	verb := "replaced"
	if rep.DryRun {
		verb = "would replace"
	}
	g.out("%s: read %d pack(s); the new indexes list %d blob(s): %d dropped (no pack holds them), %d added; %s %d index file(s).\n",
		addr, rep.Packs, rep.Blobs, rep.DroppedBlobs, rep.AddedBlobs, verb, rep.OldIndexes)
	for _, d := range rep.DamagedPacks {
		g.out("  damaged pack, left out: %s\n", d)
	}
	if rep.DroppedBlobs > 0 && !rep.DryRun {
		g.out("  The next backup stores the dropped blobs again if their data still exists; run `velin backup check` to see which snapshots lost data.\n")
	}
	return nil
}

func newRepairSnapshotsCommand(g *globalOptions) *cobra.Command {
	o := &maintenanceOptions{}
	c := maintenanceCommand(g, o, &cobra.Command{
		Use:   "snapshots",
		Short: "Remove references to lost data from snapshots (asks first)",
		Long: `Repair snapshots finds the snapshots that reference data no pack holds any
more and, after asking (skip with --yes), replaces each with a repaired copy:
files whose content is lost are left out, directories whose listing is lost
stay as empty directories, and everything else is kept. The copy keeps the
snapshot's time and backup, gets the id <old id>-repaired and is marked
"repaired" (with the id it replaces) in its manifest; the old manifest is
deleted. Run "velin backup repair index" first when packs were lost. It
takes an exclusive lock. --dry-run lists what would be removed.

Exit codes: 0 done (or nothing to repair), 1 error or refused, 10 no
repository, 11 locked, 12 wrong passphrase, 130 interrupted.`,
		Example: `  velin backup repair snapshots --dry-run
  velin backup repair snapshots --yes --json`,
	}, func(ctx context.Context, tr targetRepo) error {
		declined := false
		confirm := func(plan []repo.SnapshotRepair) bool {
			if o.Yes {
				return true
			}
			if !g.JSON {
				printSnapshotRepairs(g, tr.Addr, plan, true)
			}
			declined = !g.confirm(fmt.Sprintf("Replace %d snapshot(s) of %s with repaired copies?", len(plan), tr.Addr))
			return !declined
		}
		var fixed []repo.SnapshotRepair
		err := withLock(ctx, tr.Repo, !o.DryRun, func() (err error) {
			fixed, err = tr.Repo.RepairSnapshots(ctx, o.DryRun, confirm)
			return err
		})
		if err != nil {
			return err
		}
		if declined {
			return &exitError{code: exitFailure, err: fmt.Errorf("repair snapshots cancelled: nothing was changed")}
		}
		if g.JSON {
			return g.printJSONLine(struct {
				Target    string                `json:"target"`
				DryRun    bool                  `json:"dry_run"`
				Snapshots []repo.SnapshotRepair `json:"snapshots"`
			}{tr.Addr, o.DryRun, fixed})
		}
		printSnapshotRepairs(g, tr.Addr, fixed, o.DryRun || (!o.Yes && len(fixed) > 0))
		return nil
	})
	c.Flags().BoolVar(&o.DryRun, "dry-run", false, "only list what would be removed")
	c.Flags().BoolVar(&o.Yes, "yes", false, "do not ask for confirmation")
	return c
}

// printSnapshotRepairs lists each snapshot's lost paths; brief leaves the
// paths out (they were shown before the question).
func printSnapshotRepairs(g *globalOptions, addr string, reps []repo.SnapshotRepair, brief bool) {
	if len(reps) == 0 {
		g.out("%s: no snapshot references lost data\n", addr)
		return
	}
	for _, rep := range reps {
		switch {
		case rep.NewID != "":
			g.out("%s: snapshot %s replaced by %s (%d path(s) removed)\n", addr, rep.Snapshot, rep.NewID, len(rep.Lost))
		default:
			g.out("%s: snapshot %s references lost data at %d path(s):\n", addr, rep.Snapshot, len(rep.Lost))
		}
		if brief && rep.NewID != "" {
			continue
		}
		for i, p := range rep.Lost {
			if i == 20 {
				g.out("  … and %d more\n", len(rep.Lost)-20)
				break
			}
			g.out("  %s\n", p)
		}
	}
}

func newBackupUnlockCommand(g *globalOptions) *cobra.Command {
	o := &maintenanceOptions{}
	var all bool
	c := maintenanceCommand(g, o, &cobra.Command{
		Use:   "unlock",
		Short: "Remove stale and malformed locks (--remove-all: every lock, after asking)",
		Long: `Unlock removes the locks that protect nothing: those whose process is gone
(same machine), those not refreshed for 30 minutes (another machine) and
malformed lock objects. Live locks are listed and kept. With --remove-all it
removes every lock, live ones too, after asking (skip with --yes): only do
that when you know the holders are gone, since a prune running beside a
backup can delete data the backup is about to reference.

Exit codes: 0 done, 1 error or refused, 10 no repository, 12 wrong
passphrase, 130 interrupted.`,
		Example: `  velin backup unlock
  velin backup unlock --remove-all --yes -r /mnt/usb/velin`,
	}, func(ctx context.Context, tr targetRepo) error {
		locks, err := tr.Repo.Locks(ctx)
		if err != nil {
			return err
		}
		var remove, keep []repo.LockState
		for _, l := range locks {
			if l.Stale != "" || all {
				remove = append(remove, l)
			} else {
				keep = append(keep, l)
			}
		}
		if live := len(locks) - countStale(locks); all && live > 0 && !o.Yes &&
			!g.confirm(fmt.Sprintf("Remove %d lock(s) of %s, %d of them live (%s)?", len(remove), tr.Addr, live, lockHolders(locks))) {
			return &exitError{code: exitFailure, err: fmt.Errorf("unlock cancelled: no lock was removed")}
		}
		if err := tr.Repo.RemoveLocks(ctx, remove); err != nil {
			return err
		}
		return printUnlock(g, tr.Addr, remove, keep)
	})
	c.Flags().BoolVar(&all, "remove-all", false, "remove every lock, live ones too (asks first)")
	c.Flags().BoolVar(&o.Yes, "yes", false, "do not ask for confirmation")
	return c
}

func countStale(locks []repo.LockState) int {
	n := 0
	for _, l := range locks {
		if l.Stale != "" {
			n++
		}
	}
	return n
}

// lockHolders names the holders of the live locks.
func lockHolders(locks []repo.LockState) string {
	var out []string
	for _, l := range locks {
		if l.Stale == "" {
			out = append(out, fmt.Sprintf("%s pid %d since %s", l.Host, l.PID, l.Created.Local().Format("2006-01-02 15:04")))
		}
	}
	return strings.Join(out, "; ")
}

func printUnlock(g *globalOptions, addr string, removed, kept []repo.LockState) error {
	if g.JSON {
		return g.printJSONLine(struct {
			Target  string           `json:"target"`
			Removed []repo.LockState `json:"removed"`
			Kept    []repo.LockState `json:"kept"`
		}{addr, append([]repo.LockState{}, removed...), append([]repo.LockState{}, kept...)})
	}
	g.out("%s: removed %d lock(s), kept %d live lock(s)\n", addr, len(removed), len(kept))
	for _, l := range removed {
		why := l.Stale
		if why == "" {
			why = "live, removed on request"
		}
		g.out("  removed %s: %s\n", describeLock(l), why)
	}
	for _, l := range kept {
		g.out("  kept    %s: live\n", describeLock(l))
	}
	return nil
}

func describeLock(l repo.LockState) string {
	name := strings.TrimPrefix(l.Name, "locks/")
	name = name[:min(12, len(name))]
	if l.Host == "" {
		return name
	}
	kind := "shared"
	if l.Exclusive {
		kind = "exclusive"
	}
	return fmt.Sprintf("%s (%s, %s pid %d)", name, kind, l.Host, l.PID)
}
