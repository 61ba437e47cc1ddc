package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/engine/export"
	"github.com/velinhq/velin/engine/plan"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/restore"
	"github.com/velinhq/velin/engine/workspace"
	"github.com/velinhq/velin/providers/bucket"
	"github.com/velinhq/velin/providers/provider"
)

type restoreOptions struct {
	Target   string
	Sources  []string
	To       string
	Include  []string
	Database string
	Tables   []string
	Globals  bool
	Buckets  []string
	ToBucket string
	Yes      bool
	DryRun   bool
	Zip      string
	ZipPass  string
	ID       string
	From     string
}

// AddFlags registers the restore flags.
func (o *restoreOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.Target, "target", "", "only look in this target, as TYPE.NAME")
	f.StringArrayVar(&o.Sources, "source", nil, "restore only this source, as TYPE.NAME (repeatable)")
	f.StringVar(&o.To, "to", "", "restore under this directory instead of in place (a database server: a connection such as redis://host:6379/2 or mysql://user:password@host:3306/db)")
	f.StringArrayVar(&o.Include, "include", nil, "restore only paths of file trees, or BUCKET/KEY paths of buckets, matching this glob (repeatable)")
	f.StringVar(&o.Database, "database", "", "restore only this database of a database source that holds several")
	f.StringArrayVar(&o.Tables, "table", nil, "replace only this table's rows, as schema.table (postgres) or db.table (mysql) (repeatable)")
	f.BoolVar(&o.Globals, "globals", false, "postgres: first create the roles (and tablespaces) of the snapshot's globals.sql that the server lacks; existing roles are left alone")
	f.StringArrayVar(&o.Buckets, "bucket", nil, "restore only this bucket of the snapshot's s3 sources (repeatable)")
	f.StringVar(&o.ToBucket, "to-bucket", "", "restore the objects of the one bucket selected (--bucket) into this bucket")
	f.BoolVar(&o.Yes, "yes", false, "do not ask for confirmation")
	f.BoolVar(&o.DryRun, "dry-run", false, "only show the plan; change nothing")
	f.StringVar(&o.Zip, "zip", "", "restore from this export file (velin backup export) instead of a repository; ID may be left out")
	f.StringVar(&o.ZipPass, "export-passphrase-file", "", "with --zip or --id: read the export's passphrase from FILE (default $VELIN_EXPORT_PASSPHRASE_FILE, else $VELIN_EXPORT_PASSPHRASE, else asked)")
	f.StringVar(&o.ID, "id", "", "restore the export placed by hand in the top-level folder ID/ of a bucket (with --target s3.NAME)")
	f.StringVar(&o.From, "from-bucket", "backup", "with --id: the bucket holding the folder ID/")
}

func newBackupRestoreCommand(g *globalOptions) *cobra.Command {
	o := &restoreOptions{}
	cmd := &cobra.Command{
		Use:   "restore ID",
		Short: "Restore a snapshot (ID, a unique prefix, or latest)",
		Long: `Restore writes a snapshot's sources back: in place by default, or under --to.
It first shows, source by source, what the snapshot holds next to what
exists now (files; tables with their rows), and asks for 'yes' before
overwriting anything (skip with --yes; --dry-run only shows it).

--source restores exactly the sources named. --include restores only the
matching paths of file-tree sources and never touches a source it cannot
filter (a database). --database restores one database of a source holding
several; --table replaces only the rows of the tables named (in one
transaction), leaving everything else as it is. --globals (postgres, a
snapshot taken with globals = true) first creates, in one transaction, the
roles of the snapshot's globals.sql that the server lacks, with their
attributes, password hashes and memberships as dumped, and the tablespaces
whose location directory exists; roles that exist are never altered.
Without it, a restore whose dump names roles the server lacks (owners,
grantees) stops at the plan, before anything is changed, and names them.

Buckets (source "s3"): --bucket restores only the buckets named, each
whole (in mode "replace" the objects the snapshot lacks are deleted);
--include matches BUCKET/KEY paths and then deletes nothing; --to-bucket
writes the one bucket selected into another bucket (created if missing;
with several selected, name one with --bucket). With --bucket or
--to-bucket only the s3 sources are restored.

Items already identical to the snapshot are left
alone, so an interrupted restore can simply be run again. Files are written
to a temporary name and renamed; a restore never writes outside its
destination and never deletes files the snapshot does not have.

--zip FILE restores from a file written by 'velin backup export' instead of
a repository, the same way (plan, confirmation, --source and the other
narrowing flags); every entry of the file is checked first, so a damaged,
truncated or wrongly keyed file restores nothing. Without -f the sources
are rebuilt from the file's manifest (restored in place, or under --to).
-f/--file FILE.zip is the same as --zip FILE.zip when FILE.zip is an
export (a ZIP or age file, known by its first bytes, not its name); a
plan file given with -f stays the plan.

--id ID --target s3.NAME restores an export placed by hand in a bucket:
the top-level folder ID/ of the bucket "backup" (--from-bucket names
another) at the endpoint and with the credentials of the plan's target
s3.NAME. The folder holds the export's ZIP (ID/NAME.zip) or its unpacked
files (ID/manifest.toml, ID/snapshot.json, ID/postgres.app/app.sql, …).
It is read from the bucket as it is needed, never copied whole, and
checked first like --zip.

Exit codes: 0 restored, 1 error, 3 partial (damaged data: every intact file
and source was restored, the rest is named).`,
		Example: `  velin backup restore latest --to /tmp/restored
  velin backup restore 20261121-0515 --source files.site --include 'site/uploads/**'
  velin backup restore latest --source sqlite.app --dry-run
  velin backup restore latest --source postgres.app --database app --table public.users
  velin backup restore latest --source postgres.app --globals --to postgres://postgres@new-db/app
  velin backup restore latest --bucket templates --bucket userdata
  velin backup restore latest --bucket userdata --include 'userdata/tenant-7/**'
  velin backup restore latest --bucket templates --to-bucket templates-restored
  velin backup restore latest --bucket templates --to /tmp/buckets
  velin backup restore latest --source sqlite.app --yes --json
  velin backup restore --zip /mnt/usb/snap.zip --source postgres.app --to postgres://postgres@db2/app
  velin backup restore --file /mnt/usb/snap.zip --to /tmp/restored
  velin backup restore --id 20261121-0515-a1b2 --target s3.offsite --yes`,
		Args: cobra.RangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.Path != "" && export.IsExport(g.Path) { // --file FILE.zip
				if o.Zip != "" {
					return fmt.Errorf("-f/--file %s and --zip %s are both exports: give one", g.Path, o.Zip)
				}
				o.Zip, g.Path = g.Path, ""
			}
			if o.ID != "" {
				return runRestoreBucket(cmd.Context(), g, args, o)
			}
			if o.Zip != "" {
				return runRestoreZip(cmd.Context(), g, args, o)
			}
			if len(args) != 1 {
				return fmt.Errorf("name the snapshot to restore (ID, a unique prefix, or latest), or give --zip FILE")
			}
			return withRepoWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				return runRestore(ctx, g, ws, args[0], o)
			})(cmd.Context())
		},
	}
	o.AddFlags(cmd)
	g.addRepoFlags(cmd)
	return cmd
}

// restoreOutput is the --json shape of a restore.
type restoreOutput struct {
	DryRun bool            `json:"dry_run"`
	Plan   *restore.Plan   `json:"plan"`
	Result *restore.Result `json:"result"`
}

func runRestore(ctx context.Context, g *globalOptions, ws *workspace.Workspace, id string, o *restoreOptions) error {
	if (o.Database != "" || len(o.Tables) > 0) && len(o.Sources) == 0 {
		return fmt.Errorf("--database and --table narrow one database source: name it with --source TYPE.NAME")
	}
	if o.ToBucket != "" && o.To != "" {
		return fmt.Errorf("--to and --to-bucket are two destinations: give one")
	}
	loc, err := findSnapshot(ctx, ws, id, o.Target)
	if err != nil {
		return err
	}
	return restoreFrom(ctx, g, ws, loc.Target, restore.Request{Repo: loc.Repo, Snapshot: loc.Snapshot}, o)
}

// restoreFrom restores req's snapshot (from a repository or an export,
// read from where) as o says: plan, confirmation, execution, report.
func restoreFrom(ctx context.Context, g *globalOptions, ws *workspace.Workspace, where string, req restore.Request, o *restoreOptions) error {
	m := req.Snapshot
	keys, err := bucketSources(m, o)
	if err != nil {
		return err
	}
	req.Sources, err = restore.Select(m, keys, func(key string) (provider.Source, error) {
		return ws.Source(m.Source(key)) // the plan's block, or rebuilt from the manifest
	})
	if err != nil {
		return err
	}
	if pw := restore.ConnectionPassword(o.To); pw != "" { // a connection's password is never shown
		ws.Redactor.Add(pw)
	}
	req.Named, req.To, req.Include, req.Database, req.Tables = len(o.Sources) > 0, o.To, o.Include, o.Database, o.Tables
	req.Globals = o.Globals
	req.Buckets, req.ToBucket = o.Buckets, o.ToBucket
	p, err := restore.Prepare(ctx, req)
	if err != nil {
		return err
	}
	if !g.JSON && !(g.Quiet && o.Yes) { // -q --yes: only the outcome
		g.out("%s", renderRestorePlan(where, p))
	}
	if o.DryRun {
		if g.JSON {
			return g.printJSON(restoreOutput{DryRun: true, Plan: p})
		}
		return nil
	}
	if n := p.Overwrites(); n > 0 && !o.Yes && !g.confirm(fmt.Sprintf("Restore will overwrite %d existing item(s). Continue?", n)) {
		return &exitError{code: exitFailure, err: fmt.Errorf("restore cancelled: nothing was changed")}
	}
	res, err := executeRestore(ctx, g, p)
	if err != nil {
		return err
	}
	if g.JSON {
		if err := g.printJSON(restoreOutput{Plan: p, Result: res}); err != nil {
			return err
		}
	} else {
		g.out("%s", renderRestoreResult(res))
	}
	return res.Err()
}

func executeRestore(ctx context.Context, g *globalOptions, p *restore.Plan) (*restore.Result, error) {
	var total int64
	for _, s := range p.Sources {
		if s.Skipped == "" {
			total += s.Bytes
		}
	}
	bar := g.progressBar(total, "restoring")
	defer finishBar(bar)
	return restore.Execute(ctx, p, restore.Options{WrapTree: func(t provider.Tree) provider.Tree {
		return wrapCounting(t, addFunc(bar))
	}})
}

// renderRestorePlan shows, source by source, the counts by action and the
// items that differ; unchanged items are only counted.
func renderRestorePlan(target string, p *restore.Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Restore from snapshot %s (%s):\n", p.Snapshot, target)
	for _, s := range p.Sources {
		fmt.Fprintf(&b, "  %s -> %s\n", s.Key, s.Destination)
		switch {
		case s.Skipped != "":
			fmt.Fprintf(&b, "      skipped: %s\n", s.Skipped)
			continue
		case s.Error != "":
			fmt.Fprintf(&b, "      ! cannot restore: %s\n", s.Error)
			continue
		}
		fmt.Fprintf(&b, "      %s\n", restoreCounts(s))
		renderChanges(&b, s)
	}
	return b.String()
}

func restoreCounts(s *restore.SourcePlan) string {
	unit := "file(s)"
	if s.Type == "sqlite" {
		unit = "database file"
	}
	parts := []string{fmt.Sprintf("snapshot: %d %s, %s", s.Files, unit, bytesize.Format(s.Bytes))}
	if s.Tables > 0 {
		parts = append(parts, fmt.Sprintf("%d tables, %d rows", s.Tables, s.Rows))
	}
	return strings.Join(parts, ", ") + "; " + s.Counts()
}

// renderChanges lists the items replaced or dropped (up to plan.MaxListed)
// and every table of a database; created and unchanged files are counted
// only.
func renderChanges(b *strings.Builder, s *restore.SourcePlan) {
	shown, hidden := 0, 0
	for _, c := range s.Changes {
		if !c.Part && (c.Action == "create" || c.Action == "unchanged") {
			continue
		}
		if !c.Part && shown == plan.MaxListed {
			hidden++
			continue
		}
		if !c.Part {
			shown++
		}
		fmt.Fprintf(b, "      %s %-9s %s%s\n", changeSign(c.Action), c.Action, c.What, snapshotVsCurrent(c))
	}
	if hidden > 0 {
		fmt.Fprintf(b, "      … and %d more (--json lists them all)\n", hidden)
	}
}

func snapshotVsCurrent(c restore.Change) string {
	if t := restore.ChangeText(c.Snapshot, c.Current, c.Detail); t != "" {
		return " (" + t + ")"
	}
	return ""
}

func renderRestoreResult(res *restore.Result) string {
	var b strings.Builder
	restored := 0
	for _, s := range res.Sources {
		switch s.Status {
		case restore.StatusRestored:
			restored++
			fmt.Fprintf(&b, "  ok      restored %s\n", s.Key)
		case restore.StatusPartial:
			restored++
			fmt.Fprintf(&b, "  partial restored %s except %d damaged item(s):\n", s.Key, len(s.Problems))
			for _, pr := range s.Problems {
				fmt.Fprintf(&b, "            %s: %s\n", pr.Path, pr.Err)
			}
		case restore.StatusFailed:
			fmt.Fprintf(&b, "  failed  %s: %s\n", s.Key, s.Error)
		case restore.StatusSkipped:
			fmt.Fprintf(&b, "  skipped %s\n", s.Key)
		}
	}
	fmt.Fprintf(&b, "Restored %d source(s) from snapshot %s.\n", restored, res.Snapshot)
	return b.String()
}

func changeSign(action string) string {
	switch action {
	case "delete", "drop":
		return "-"
	case "create":
		return "+"
	case "unchanged":
		return "="
	}
	return "~"
}

// bucketSources returns the sources to restore: --source, or with
// --bucket or --to-bucket the snapshot's s3 sources (those flags mean
// nothing to the others; naming another with --source is an error).
func bucketSources(m *repo.Manifest, o *restoreOptions) ([]string, error) {
	if len(o.Buckets) == 0 && o.ToBucket == "" {
		return o.Sources, nil
	}
	var buckets, others []string
	for _, sm := range m.Sources {
		if sm.Type == bucket.TypeName {
			buckets = append(buckets, sm.Key)
		} else {
			others = append(others, sm.Key)
		}
	}
	for _, k := range o.Sources {
		if k = strings.TrimPrefix(k, "source."); slices.Contains(others, k) {
			return nil, fmt.Errorf("--bucket and --to-bucket restore buckets, and %s is not an s3 source: restore it in a command of its own", k)
		}
	}
	if len(buckets) == 0 {
		return nil, fmt.Errorf("--bucket and --to-bucket restore buckets, and snapshot %s has no s3 source (it has %s)",
			m.ID, strings.Join(others, ", "))
	}
	if len(o.Sources) > 0 {
		return o.Sources, nil
	}
	return buckets, nil
}
