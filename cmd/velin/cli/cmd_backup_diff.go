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
	"github.com/velinhq/velin/providers/provider"
)

// diffChange is one difference between two snapshots.
type diffChange struct {
	Source     string `json:"source"`
	Path       string `json:"path"`
	Change     string `json:"change"` // added, removed, modified, type_changed, metadata
	Kind       string `json:"kind"`
	SizeBefore int64  `json:"size_before"`
	SizeAfter  int64  `json:"size_after"`
}

// diffSummary counts the changes of a diff.
type diffSummary struct {
	Added        int   `json:"added"`
	Removed      int   `json:"removed"`
	Modified     int   `json:"modified"`
	TypeChanged  int   `json:"type_changed"`
	Metadata     int   `json:"metadata"`
	BytesAdded   int64 `json:"bytes_added"`   // sizes of added files, and growth of modified ones
	BytesRemoved int64 `json:"bytes_removed"` // sizes of removed files, and shrinkage of modified ones
}

var diffMarks = map[string]string{"added": "+", "removed": "-", "modified": "M", "type_changed": "T", "metadata": "U"}

func newBackupDiffCommand(g *globalOptions) *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use:   "diff ID1 ID2",
		Short: "Show what changed between two snapshots",
		Long: `Diff compares two snapshots entry by entry, in every source they hold:
  +  added    -  removed    M  content modified    T  type changed
  U  only metadata (mode, owner, modification time) changed
and ends with a count of each. With --json: one document {from, to,
changes: [{source, path, change, kind, size_before, size_after}], summary}.`,
		Example: `  velin backup diff 20261120-0515 20261121-0515
  velin backup diff 20261120 latest --json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withRepoWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				a, err := findSnapshot(ctx, ws, args[0], target)
				if err != nil {
					return err
				}
				b, err := findSnapshot(ctx, ws, args[1], target)
				if err != nil {
					return err
				}
				return diffSnapshots(ctx, g, a, b)
			})(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "only look in this target, as TYPE.NAME")
	g.addRepoFlags(cmd)
	return cmd
}

// snapshotEntries reads every entry of every source of loc, keyed by
// "source\x00path".
func snapshotEntries(ctx context.Context, loc *located) (map[string]provider.Entry, error) {
	out := map[string]provider.Entry{}
	for _, sm := range loc.Snapshot.Sources {
		tree, err := loc.Repo.Tree(ctx, loc.Snapshot, sm.Key)
		if err != nil {
			return nil, err
		}
		err = tree.Walk(ctx, func(e provider.Entry) error {
			if e.Path != "" {
				out[sm.Key+"\x00"+e.Path] = e
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("diff: read %s: %w", loc.Snapshot.ID, err)
		}
	}
	return out, nil
}

func diffSnapshots(ctx context.Context, g *globalOptions, a, b *located) error {
	before, err := snapshotEntries(ctx, a)
	if err != nil {
		return err
	}
	after, err := snapshotEntries(ctx, b)
	if err != nil {
		return err
	}
	changes, sum := compareEntries(before, after, a.Repo == b.Repo)
	if g.JSON {
		return g.printJSON(struct {
			From    string       `json:"from"`
			To      string       `json:"to"`
			Changes []diffChange `json:"changes"`
			Summary diffSummary  `json:"summary"`
		}{a.Snapshot.ID, b.Snapshot.ID, changes, sum})
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "Comparing snapshot %s to %s:\n\n", a.Snapshot.ID, b.Snapshot.ID)
	for _, c := range changes {
		fmt.Fprintf(&sb, "%s    %s/%s\n", diffMarks[c.Change], c.Source, c.Path)
	}
	fmt.Fprintf(&sb, "\n%d added, %d removed, %d modified, %d type changed, %d metadata only; %s added, %s removed.\n",
		sum.Added, sum.Removed, sum.Modified, sum.TypeChanged, sum.Metadata, bytesize.Format(sum.BytesAdded), bytesize.Format(sum.BytesRemoved))
	g.out("%s", sb.String())
	return nil
}

// compareEntries lists the differences, sorted by source and path. File
// contents are compared by their chunks when both snapshots are in one
// repository, else by size only.
func compareEntries(before, after map[string]provider.Entry, sameRepo bool) ([]diffChange, diffSummary) {
	keys := make([]string, 0, len(before)+len(after))
	for k := range before {
		keys = append(keys, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	changes := []diffChange{}
	var sum diffSummary
	for _, k := range keys {
		src, p, _ := strings.Cut(k, "\x00")
		x, inA := before[k]
		y, inB := after[k]
		c := diffChange{Source: src, Path: p, Kind: string(y.Kind), SizeBefore: x.Size, SizeAfter: y.Size}
		switch {
		case !inB:
			c.Change, c.Kind = "removed", string(x.Kind)
			sum.Removed++
			sum.BytesRemoved += x.Size
		case !inA:
			c.Change = "added"
			sum.Added++
			sum.BytesAdded += y.Size
		case x.Kind != y.Kind:
			c.Change = "type_changed"
			sum.TypeChanged++
		case contentDiffers(x, y, sameRepo):
			c.Change = "modified"
			sum.Modified++
			sum.BytesAdded += max(0, y.Size-x.Size)
			sum.BytesRemoved += max(0, x.Size-y.Size)
		case x.Mode != y.Mode || x.UID != y.UID || x.GID != y.GID || !x.ModTime.Equal(y.ModTime):
			c.Change = "metadata"
			sum.Metadata++
		default:
			continue
		}
		changes = append(changes, c)
	}
	return changes, sum
}

func contentDiffers(x, y provider.Entry, sameRepo bool) bool {
	if x.Size != y.Size || x.Target != y.Target {
		return true
	}
	if x.Kind != provider.KindFile || !sameRepo {
		return false
	}
	kx, okx := repo.ContentKey(x)
	ky, oky := repo.ContentKey(y)
	return !okx || !oky || kx != ky
}
