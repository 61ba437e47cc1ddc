package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/engine/repo"
)

// checkOptions are the flags of `velin backup check`.
type checkOptions struct {
	maintenanceOptions
	ReadData bool
	Subset   string
}

func newBackupCheckCommand(g *globalOptions) *cobra.Command {
	o := &checkOptions{}
	bad := 0
	c := maintenanceCommand(g, &o.maintenanceOptions, &cobra.Command{
		Use:   "check",
		Short: "Check the repository's structure, and with --read-data its packs",
		Long: `Check reads every index file and every snapshot's trees and checks that
each index entry points into an existing pack and that every tree and blob a
snapshot references is held by one. With --read-data it also reads every
pack whole (or a random --read-data-subset of them): its name against its
SHA-256, its trailer and header, each blob it holds, and the index entries
against the header. It changes nothing and takes a shared lock.

Packs no index lists are noted, not counted as damage (prune deletes them,
repair index indexes them). Fix what check reports with "velin backup
repair index", then "velin backup repair snapshots".

Exit codes: 0 no damage, 1 damage found (listed) or error, 10 no repository,
11 locked, 12 wrong passphrase, 130 interrupted.`,
		Example: `  velin backup check
  velin backup check --read-data
  velin backup check --read-data-subset 10% --json
  velin backup check -r /mnt/usb/velin`,
	}, func(ctx context.Context, tr targetRepo) error {
		opts, err := o.checkOptions()
		if err != nil {
			return err
		}
		return withLock(ctx, tr.Repo, false, func() error {
			bar := g.progressBar(-1, "checking "+tr.Addr)
			opts.Progress = addFunc(bar)
			rep, err := tr.Repo.CheckRepository(ctx, opts)
			finishBar(bar)
			if err != nil {
				return err
			}
			bad += len(rep.Problems)
			return printCheck(g, tr.Addr, rep)
		})
	})
	inner := c.RunE
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if err := inner(cmd, args); err != nil {
			return err
		}
		if bad > 0 {
			return &exitError{code: exitFailure, err: fmt.Errorf("check: %d problem(s) found", bad)}
		}
		return nil
	}
	c.Flags().BoolVar(&o.ReadData, "read-data", false, "also read every pack and authenticate every blob")
	c.Flags().StringVar(&o.Subset, "read-data-subset", "", "like --read-data, for a random share of the packs, e.g. 10%")
	return c
}

// checkOptions turns the flags into repo.CheckOptions.
func (o *checkOptions) checkOptions() (repo.CheckOptions, error) {
	opts := repo.CheckOptions{ReadData: o.ReadData}
	if o.Subset == "" {
		return opts, nil
	}
	pct, err := strconv.ParseFloat(strings.TrimSuffix(o.Subset, "%"), 64)
	if err != nil || !strings.HasSuffix(o.Subset, "%") || pct <= 0 || pct > 100 {
		return opts, fmt.Errorf("check: --read-data-subset %q: want a percentage above 0 and at most 100, like 10%%", o.Subset)
	}
	opts.ReadData, opts.Subset = true, pct/100
	return opts, nil
}

func printCheck(g *globalOptions, addr string, rep *repo.RepositoryCheck) error {
	if g.JSON {
		return g.printJSONLine(struct {
			Target string `json:"target"`
			OK     bool   `json:"ok"`
			*repo.RepositoryCheck
		}{addr, rep.OK(), rep})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d snapshot(s), %d index file(s), %d pack(s), %d blob(s)", addr, rep.Snapshots, rep.Indexes, rep.Packs, rep.Blobs)
	if rep.PacksRead > 0 {
		fmt.Fprintf(&b, "; read %d pack(s), %s", rep.PacksRead, bytesize.Format(rep.BytesRead))
	}
	b.WriteString("\n")
	for _, p := range rep.Problems {
		where := p.Object
		if p.Kind == "snapshot" {
			where = strings.TrimSpace(p.Snapshot + " " + p.Path)
		}
		fmt.Fprintf(&b, "  damaged %s %s: %s\n", p.Kind, where, p.Err)
	}
	if n := len(rep.UnindexedPacks); n > 0 {
		fmt.Fprintf(&b, "  note: %d pack(s) no index lists (prune deletes them; repair index indexes them)\n", n)
	}
	b.WriteString("  " + checkAdvice(rep) + "\n")
	g.out("%s", b.String())
	return nil
}

// checkAdvice says what to do about what check found.
func checkAdvice(rep *repo.RepositoryCheck) string {
	if rep.OK() {
		return "no damage found"
	}
	for _, p := range rep.Problems {
		if p.Kind != "snapshot" {
			return fmt.Sprintf("%d problem(s): run `velin backup repair index`, then check again", len(rep.Problems))
		}
	}
	return fmt.Sprintf("%d problem(s): run `velin backup repair snapshots` to remove what is lost from the snapshots", len(rep.Problems))
}
