package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/forget"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
)

func newBackupPruneCommand(g *globalOptions) *cobra.Command {
	var dryRun, yes bool
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Apply every backup block's retention, then reclaim unreferenced data",
		Long: `Prune forgets the snapshots each backup block's retention policy no longer
keeps, then deletes data no snapshot references (including what a crashed
backup left behind). It shows, per backup block, every snapshot with the
rules that keep it (or "forget"), and asks before forgetting anything (skip
with --yes). --dry-run changes nothing and reports what the real prune would
reclaim, the data of the snapshots it would forget included.`,
		Example: `  velin backup prune --dry-run
  velin backup prune --yes
  velin backup prune --dry-run --json`,
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

// pruneOutput is the --json shape of prune.
type pruneOutput struct {
	DryRun    bool              `json:"dry_run"`
	Retention []targetRetention `json:"retention"`
	Targets   []forgetOutput    `json:"targets"`
}

// targetRetention is one backup block's retention in its target.
type targetRetention struct {
	Target string `json:"target"`
	*forget.Retention
}

func runPrune(ctx context.Context, g *globalOptions, ws *workspace.Workspace, dryRun, yes bool) error {
	out := pruneOutput{DryRun: dryRun, Retention: []targetRetention{}, Targets: []forgetOutput{}}
	repos := map[string]*repo.Repository{}
	byTarget := map[string][]string{}
	total := 0
	names := make([]string, 0, len(ws.Config.Backups))
	for name := range ws.Config.Backups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, tr := range ws.Config.Backups[name].RetentionTargets() {
			r, err := ws.Repo(ctx, tr.Target, false)
			if err != nil {
				return err
			}
			if r == nil {
				continue
			}
			rt, err := forget.Decide(ctx, r, tr.Backup, ws.Now())
			if err != nil {
				return err
			}
			repos[tr.Target] = r
			byTarget[tr.Target] = append(byTarget[tr.Target], rt.Forget()...)
			total += len(rt.Forget())
			out.Retention = append(out.Retention, targetRetention{Target: tr.Target, Retention: rt})
		}
	}
	if !g.JSON {
		g.out("%s", retentionTables(out.Retention))
	}
	if total > 0 && !dryRun && !yes && !g.confirm(fmt.Sprintf("Forget %d snapshot(s) and reclaim their data?", total)) {
		return &exitError{code: exitFailure, err: fmt.Errorf("prune cancelled: nothing was changed")}
	}
	addrs := make([]string, 0, len(repos))
	for a := range repos {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	for _, addr := range addrs {
		res, err := forget.Run(ctx, repos[addr], byTarget[addr], dryRun)
		if err != nil {
			return err
		}
		out.Targets = append(out.Targets, forgetOutput{Target: addr, Result: res})
		if !g.JSON {
			g.out("%s", reclaimLine(res))
		}
	}
	if g.JSON {
		return g.printJSON(out)
	}
	return nil
}

// retentionTables shows, per backup block, each snapshot kept (with the
// rules that keep it) or forgotten, newest first.
func retentionTables(rts []targetRetention) string {
	var b strings.Builder
	for _, rt := range rts {
		fmt.Fprintf(&b, "backup.%s (%s) in %s:\n", rt.Backup, rt.Policy, rt.Target)
		if len(rt.Decisions) == 0 {
			b.WriteString("  no snapshots\n\n")
			continue
		}
		rows := make([][]string, 0, len(rt.Decisions))
		for _, d := range rt.Decisions {
			action, rules := "forget", ""
			if d.Keep {
				action, rules = "keep", strings.Join(d.Reasons, ", ")
			}
			rows = append(rows, []string{"  " + d.ID, d.Time.Local().Format("2006-01-02 15:04 MST"), action, rules})
		}
		_ = table(&b, []string{"  SNAPSHOT", "TIME", "ACTION", "KEPT BY"}, rows)
		b.WriteString("\n")
	}
	return b.String()
}
