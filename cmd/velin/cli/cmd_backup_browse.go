package cli

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
	"github.com/velinhq/velin/providers/provider"
)

// entryJSON is one entry of a snapshot in `backup ls` and `backup find`.
type entryJSON struct {
	Snapshot string    `json:"snapshot,omitempty"` // find only
	Source   string    `json:"source"`
	Path     string    `json:"path"`
	Kind     string    `json:"kind"`
	Mode     string    `json:"mode"`
	Size     int64     `json:"size"`
	ModTime  time.Time `json:"mtime"`
	Target   string    `json:"target,omitempty"` // symlink target or hard link's first path
}

func toEntryJSON(source string, e provider.Entry) entryJSON {
	return entryJSON{Source: source, Path: e.Path, Kind: string(e.Kind), Mode: e.Mode.String(),
		Size: e.Size, ModTime: e.ModTime, Target: e.Target}
}

// entryLine formats an entry as text, like ls -l.
func entryLine(e entryJSON) string {
	name := e.Source + "/" + e.Path
	if e.Path == "" {
		name = e.Source
	}
	if e.Kind == string(provider.KindDir) {
		name += "/"
	}
	if e.Target != "" {
		name += " -> " + e.Target
	}
	mtime := ""
	if !e.ModTime.IsZero() {
		mtime = e.ModTime.Local().Format(timeFormat)
	}
	return fmt.Sprintf("%-8s %-10s %10s  %s  %s", e.Kind, e.Mode, bytesize.Format(e.Size), mtime, name)
}

// splitSourcePath splits "files.site/blog/post.html" into the source key
// and the path inside it; a PATH that names no source of m applies to all.
func splitSourcePath(m *repo.Manifest, p string) (source, rest string) {
	p = strings.Trim(p, "/")
	for _, s := range m.Sources {
		if p == s.Key || strings.HasPrefix(p, s.Key+"/") {
			return s.Key, strings.TrimPrefix(strings.TrimPrefix(p, s.Key), "/")
		}
	}
	return "", p
}

// under reports whether p is dir or inside it ("" is the root).
func under(p, dir string) bool {
	return dir == "" || p == dir || strings.HasPrefix(p, dir+"/")
}

func newBackupLsCommand(g *globalOptions) *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use:   "ls ID [PATH]",
		Short: "List the files and directories of a snapshot (all, or those under PATH)",
		Long: `Ls lists every entry of a snapshot, or those under PATH, written as
SOURCE/path/in/source ("files.site/blog") or as a path inside every source
("blog"). With --json: one object per line {source, path, kind, mode, size,
mtime, target}.`,
		Example: `  velin backup ls latest
  velin backup ls 20261121-0515 files.site/blog
  velin backup ls latest --json | jq -r .path`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withRepoWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				loc, err := findSnapshot(ctx, ws, args[0], target)
				if err != nil {
					return err
				}
				sub := ""
				if len(args) == 2 {
					sub = args[1]
				}
				return listEntries(ctx, g, loc, sub)
			})(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "only look in this target, as TYPE.NAME")
	g.addRepoFlags(cmd)
	return cmd
}

func listEntries(ctx context.Context, g *globalOptions, loc *located, sub string) error {
	source, dir := splitSourcePath(loc.Snapshot, sub)
	n := 0
	for _, sm := range loc.Snapshot.Sources {
		if source != "" && sm.Key != source {
			continue
		}
		tree, err := loc.Repo.Tree(ctx, loc.Snapshot, sm.Key)
		if err != nil {
			return err
		}
		err = tree.Walk(ctx, func(e provider.Entry) error {
			if e.Path == "" || !under(e.Path, dir) {
				return nil
			}
			n++
			return g.printEntry(toEntryJSON(sm.Key, e))
		})
		if err != nil {
			return fmt.Errorf("ls %s: %w", loc.Snapshot.ID, err)
		}
	}
	if n == 0 && sub != "" {
		return fmt.Errorf("ls %s: nothing under %q", loc.Snapshot.ID, sub)
	}
	return nil
}

func (g *globalOptions) printEntry(e entryJSON) error {
	if g.JSON {
		return g.printJSONLine(e)
	}
	g.out("%s\n", entryLine(e))
	return nil
}

func newBackupFindCommand(g *globalOptions) *cobra.Command {
	var target, snapshot string
	cmd := &cobra.Command{
		Use:   "find PATTERN",
		Short: "Find files and directories matching PATTERN in every snapshot",
		Long: `Find searches every snapshot (or only --snapshot ID) for entries whose
name matches PATTERN, a glob ("*.html", "post-?.txt"); a PATTERN with a
slash is matched against the whole path inside the source
("blog/*.html"). Files, directories and links are all found. With --json:
one object per line {snapshot, source, path, kind, mode, size, mtime,
target}.`,
		Example: `  velin backup find '*.html'
  velin backup find 'blog/*' --snapshot latest
  velin backup find index.html --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := path.Match(args[0], ""); err != nil {
				return fmt.Errorf("find: bad pattern %q: %w", args[0], err)
			}
			return withRepoWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				locs, err := snapshotsToVerify(ctx, ws, "all", target)
				if snapshot != "" {
					var loc *located
					loc, err = findSnapshot(ctx, ws, snapshot, target)
					locs = []*located{loc}
				}
				if err != nil {
					return err
				}
				return findEntries(ctx, g, locs, args[0])
			})(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "only look in this target, as TYPE.NAME")
	cmd.Flags().StringVar(&snapshot, "snapshot", "", "only this snapshot (ID, prefix or latest)")
	g.addRepoFlags(cmd)
	return cmd
}

// matchEntry matches pattern against the entry's name, or its whole path
// when the pattern has a slash.
func matchEntry(pattern, p string) bool {
	subject := path.Base(p)
	if strings.Contains(pattern, "/") {
		subject = p
	}
	ok, _ := path.Match(pattern, subject)
	return ok
}

func findEntries(ctx context.Context, g *globalOptions, locs []*located, pattern string) error {
	n := 0
	for _, loc := range locs {
		for _, sm := range loc.Snapshot.Sources {
			tree, err := loc.Repo.Tree(ctx, loc.Snapshot, sm.Key)
			if err != nil {
				return err
			}
			err = tree.Walk(ctx, func(e provider.Entry) error {
				if e.Path == "" || !matchEntry(pattern, e.Path) {
					return nil
				}
				n++
				j := toEntryJSON(sm.Key, e)
				j.Snapshot = loc.Snapshot.ID
				if g.JSON {
					return g.printJSONLine(j)
				}
				g.out("%s  %s\n", loc.Snapshot.ID, entryLine(j))
				return nil
			})
			if err != nil {
				return fmt.Errorf("find in %s: %w", loc.Snapshot.ID, err)
			}
		}
	}
	if n == 0 && !g.JSON {
		g.errf("Nothing matches %q in %d snapshot(s).\n", pattern, len(locs))
	}
	return nil
}
