package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/apply"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
)

func newBackupVerifyCommand(g *globalOptions) *cobra.Command {
	var target string
	var testRestore bool
	cmd := &cobra.Command{
		Use:   "verify ID",
		Short: "Re-read and authenticate every chunk of a snapshot (ID, prefix, latest or all)",
		Long: `Verify reads back every chunk a snapshot references and checks it against its
id and its authentication tag. With --test-restore it also restores each
source into a temporary place and compares counts with the manifest.

Exit codes: 0 intact, 1 damaged (the damaged source and file are named),
10 no repository, 11 locked, 12 wrong passphrase, 130 interrupted.`,
		Example: `  velin backup verify latest
  velin backup verify all
  velin backup verify 20261121-0515 --test-restore`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withRepoWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				locs, err := snapshotsToVerify(ctx, ws, args[0], target)
				if err != nil {
					return err
				}
				bad := 0
				for _, loc := range locs {
					if !verifyOne(ctx, g, ws, loc, testRestore) {
						bad++
					}
				}
				if bad > 0 {
					return &exitError{code: 1, err: fmt.Errorf("verify: %d of %d snapshot(s) damaged", bad, len(locs))}
				}
				return nil
			})(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "only look in this target, as TYPE.NAME")
	cmd.Flags().BoolVar(&testRestore, "test-restore", false, "also restore each source into a temporary place and compare")
	g.addRepoFlags(cmd)
	return cmd
}

func snapshotsToVerify(ctx context.Context, ws *workspace.Workspace, id, target string) ([]*located, error) {
	if id != "all" {
		loc, err := findSnapshot(ctx, ws, id, target)
		if err != nil {
			return nil, err
		}
		return []*located{loc}, nil
	}
	addrs, err := targetsOf(ws, target)
	if err != nil {
		return nil, err
	}
	var out []*located
	var opened []string
	for _, addr := range addrs {
		r, err := ws.Repo(ctx, addr, false)
		if err != nil || r == nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		opened = append(opened, r.Location())
		snaps, err := r.Snapshots(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range snaps {
			out = append(out, &located{Target: addr, Repo: r, Snapshot: m})
		}
	}
	if len(opened) == 0 {
		// "All of nothing" must not pass: a wrong path or a lost
		// repository is exactly what verification is for.
		return nil, fmt.Errorf("verify all: %w in %s", repo.ErrNoRepository, strings.Join(addrs, ", "))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("verify all: no snapshot to verify in %s", strings.Join(opened, ", "))
	}
	return out, nil
}

func verifyOne(ctx context.Context, g *globalOptions, ws *workspace.Workspace, loc *located, testRestore bool) bool {
	v := &repo.Verification{Time: ws.Now().UTC()}
	var problems []string
	// A shared lock keeps a concurrent prune from deleting packs mid-read,
	// which would look like damage.
	lock, err := loc.Repo.Lock(ctx, false)
	if err != nil {
		g.errf("Snapshot %s: %s\n", loc.Snapshot.ID, err)
		return false
	}
	defer lock.Unlock(context.WithoutCancel(ctx))
	// `verify all` listed the snapshots before this lock: a retention run
	// may have forgotten and pruned this one since. That is no damage.
	if gone, err := forgottenMeanwhile(ctx, loc); err != nil || gone {
		return reportForgotten(g, loc, err)
	}
	bar := g.progressBar(-1, "verifying "+loc.Snapshot.ID)
	err = apply.Checksums(ctx, loc.Repo, loc.Snapshot, v, addFunc(bar))
	finishBar(bar)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if testRestore {
		if err := apply.TestRestore(ctx, ws, loc.Repo, loc.Snapshot, v); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if g.JSON {
		g.printJSONLine(verifyJSON{Snapshot: loc.Snapshot.ID, Target: loc.Target, OK: len(problems) == 0,
			Verification: toVerificationJSON(v), Problems: append([]string{}, problems...)})
		return len(problems) == 0
	}
	var b strings.Builder
	status := "ok"
	if len(problems) > 0 {
		status = "DAMAGED"
	}
	fmt.Fprintf(&b, "Snapshot %s: %s\n", loc.Snapshot.ID, status)
	writeVerification(&b, v)
	for _, p := range problems {
		fmt.Fprintf(&b, "  problem: %s\n", p)
	}
	g.out("%s", b.String())
	return len(problems) == 0
}

// verifyJSON is one line of `backup verify --json`, one per snapshot.
type verifyJSON struct {
	Snapshot     string            `json:"snapshot"`
	Target       string            `json:"target"`
	OK           bool              `json:"ok"`
	Verification *verificationJSON `json:"verification"`
	Problems     []string          `json:"problems"`
	Skipped      string            `json:"skipped,omitempty"` // why it was not verified
}

// forgottenMeanwhile reports whether loc's snapshot is no longer in its
// repository (listed afresh).
func forgottenMeanwhile(ctx context.Context, loc *located) (bool, error) {
	snaps, err := loc.Repo.Snapshots(ctx)
	if err != nil {
		return false, err
	}
	for _, m := range snaps {
		if m.ID == loc.Snapshot.ID {
			return false, nil
		}
	}
	return true, nil
}

// reportForgotten prints a snapshot skipped because it was forgotten
// while the verification waited (ok), or the error of looking (not ok).
func reportForgotten(g *globalOptions, loc *located, err error) bool {
	if err != nil {
		g.errf("Snapshot %s: %s\n", loc.Snapshot.ID, err)
		return false
	}
	const why = "forgotten (retention or delete) since the listing; not verified"
	if g.JSON {
		g.printJSONLine(verifyJSON{Snapshot: loc.Snapshot.ID, Target: loc.Target, OK: true, Problems: []string{}, Skipped: why})
		return true
	}
	g.out("Snapshot %s: %s\n", loc.Snapshot.ID, why)
	return true
}
