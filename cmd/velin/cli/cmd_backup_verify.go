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
	"github.com/velinhq/velin/providers/provider"
)

func newBackupVerifyCommand(g *globalOptions) *cobra.Command {
	var target string
	var testRestore bool
	cmd := &cobra.Command{
		Use:   "verify ID",
		Short: "Re-read and authenticate every chunk of a snapshot (ID, prefix, latest or all)",
		Long: `Verify reads back every chunk a snapshot references and checks it against its
id and its authentication tag. With --test-restore it also restores each
source into a temporary place, compares counts with the manifest and runs
the assert blocks of the snapshot's backup block when the plan is present
(with -r, counts only); the results replace the snapshot's verification
record, which backup list and backup show display.

Exit codes: 0 intact, 1 damaged (the damaged source and file are named),
4 not verified (the data restored but an assertion or count check failed),
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
				var bad, unverified int
				for _, loc := range locs {
					switch verifyOne(ctx, g, ws, loc, testRestore) {
					case verifyDamaged:
						bad++
					case verifyNotVerified:
						unverified++
					}
				}
				if bad > 0 {
					return &exitError{code: exitFailure, err: fmt.Errorf("verify: %d of %d snapshot(s) damaged", bad, len(locs))}
				}
				if unverified > 0 {
					return &exitError{code: exitNotVerified, err: fmt.Errorf("verify: %d of %d snapshot(s) not verified: a check failed", unverified, len(locs))}
				}
				return nil
			})(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "only look in this target, as TYPE.NAME")
	cmd.Flags().BoolVar(&testRestore, "test-restore", false, "also restore each source into a temporary place, compare and run the plan's assertions")
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

// verifyOutcome is how the verification of one snapshot ended.
type verifyOutcome int

const (
	verifyOK          verifyOutcome = iota
	verifyDamaged                   // unreadable, damaged, or the restore failed
	verifyNotVerified               // restored, but an assertion or count check failed
)

func verifyOne(ctx context.Context, g *globalOptions, ws *workspace.Workspace, loc *located, testRestore bool) verifyOutcome {
	v := &repo.Verification{Time: ws.Now().UTC()}
	// A shared lock keeps a concurrent prune from deleting packs mid-read,
	// which would look like damage.
	lock, err := loc.Repo.Lock(ctx, false)
	if err != nil {
		g.errf("Snapshot %s: %s\n", loc.Snapshot.ID, err)
		return verifyDamaged
	}
	defer lock.Unlock(context.WithoutCancel(ctx))
	// `verify all` listed the snapshots before this lock: a retention run
	// may have forgotten and pruned this one since. That is no damage.
	if gone, err := forgottenMeanwhile(ctx, loc); err != nil || gone {
		return reportForgotten(g, loc, err)
	}
	problems, outcome := runVerification(ctx, g, ws, loc, v, testRestore)
	if testRestore && ctx.Err() == nil {
		if _, err := loc.Repo.RecordVerification(ctx, loc.Snapshot.ID, v); err != nil {
			g.warn(fmt.Sprintf("snapshot %s: the results are not recorded: %s", loc.Snapshot.ID, err))
		}
	}
	if g.JSON {
		g.printJSONLine(verifyJSON{Snapshot: loc.Snapshot.ID, Target: loc.Target, OK: outcome == verifyOK,
			Verification: toVerificationJSON(v), Problems: append([]string{}, problems...)})
		return outcome
	}
	var b strings.Builder
	status := map[verifyOutcome]string{verifyOK: "ok", verifyDamaged: "DAMAGED", verifyNotVerified: "NOT VERIFIED"}[outcome]
	fmt.Fprintf(&b, "Snapshot %s: %s\n", loc.Snapshot.ID, status)
	writeVerification(&b, v)
	for _, p := range problems {
		fmt.Fprintf(&b, "  problem: %s\n", p)
	}
	g.out("%s", b.String())
	return outcome
}

// runVerification checks loc's snapshot into v: its checksums and, with
// testRestore, a test restore with the assertions of the plan's backup
// block (none without a plan).
func runVerification(ctx context.Context, g *globalOptions, ws *workspace.Workspace, loc *located, v *repo.Verification, testRestore bool) ([]string, verifyOutcome) {
	var problems []string
	outcome := verifyOK
	bar := g.progressBar(-1, "verifying "+loc.Snapshot.ID)
	err := apply.Checksums(ctx, loc.Repo, loc.Snapshot, v, addFunc(bar))
	finishBar(bar)
	if err != nil {
		problems, outcome = append(problems, err.Error()), verifyDamaged
	}
	if !testRestore {
		return problems, outcome
	}
	opts := apply.TestRestoreOptions{Note: g.warn}
	if b := ws.Config.Backups["backup."+loc.Snapshot.Backup]; b != nil {
		opts.Asserts = apply.AssertsOf(b, loc.Snapshot)
	}
	err = apply.TestRestore(ctx, ws, loc.Repo, loc.Snapshot, v, opts)
	switch {
	case err == nil:
	case errors.Is(err, provider.ErrAssertion) && outcome == verifyOK:
		problems, outcome = append(problems, err.Error()), verifyNotVerified
	default:
		problems, outcome = append(problems, err.Error()), verifyDamaged
	}
	return problems, outcome
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
func reportForgotten(g *globalOptions, loc *located, err error) verifyOutcome {
	if err != nil {
		g.errf("Snapshot %s: %s\n", loc.Snapshot.ID, err)
		return verifyDamaged
	}
	const why = "forgotten (retention or delete) since the listing; not verified"
	if g.JSON {
		g.printJSONLine(verifyJSON{Snapshot: loc.Snapshot.ID, Target: loc.Target, OK: true, Problems: []string{}, Skipped: why})
		return verifyOK
	}
	g.out("Snapshot %s: %s\n", loc.Snapshot.ID, why)
	return verifyOK
}
