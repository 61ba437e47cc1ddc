package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/velinhq/velin/providers/provider"
)

// PlanRestore implements provider.Source: one change for the database file
// ("create", "replace" or "unchanged"), then one part per table, with its
// rows in the snapshot and at the destination: "create" for a table only
// the snapshot has, "drop" for one only the destination has, "replace"
// for the others, or "unchanged" for every table when the destination
// file already is the snapshot's database. To count the snapshot's rows it
// restores the database into a private temporary directory, which also
// finds damaged data before anything is touched.
func (s *Source) PlanRestore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) ([]provider.Change, error) {
	dest, err := s.dest(opts.To)
	if err != nil {
		return nil, fmt.Errorf("plan sqlite restore: %w", err)
	}
	e, err := entry(ctx, tree)
	if err != nil {
		return nil, fmt.Errorf("plan sqlite restore: %w", err)
	}
	file := provider.Change{Action: "create", What: dest}
	var cur stats
	fi, err := os.Stat(dest)
	switch {
	case err == nil:
		file.Action = "replace"
		if cur, err = readStats(ctx, dsn(dest, true, false)); err != nil {
			file.Current = fmt.Sprintf("%d bytes, not a readable database (%v)", fi.Size(), err)
		} else {
			file.Current = dbText(fi.Size(), cur)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("plan sqlite restore: %w", err)
	}
	if file.Action == "replace" && identical(ctx, tree, e, dest) {
		file.Action, file.Snapshot = "unchanged", file.Current
		return append([]provider.Change{file}, tableChanges(cur, cur, true)...), nil
	}
	snap, err := s.snapshotStats(ctx, tree)
	if err != nil {
		return nil, fmt.Errorf("plan sqlite restore: %w", err)
	}
	file.Snapshot = dbText(e.Size, snap)
	return append([]provider.Change{file}, tableChanges(snap, cur, false)...), nil
}

func dbText(size int64, st stats) string {
	return fmt.Sprintf("%d bytes, %d tables, %s", size, st.tables, rowsText(st.rows))
}

// snapshotStats restores the snapshot's database into a temporary
// directory, checks it and counts its tables and rows.
func (s *Source) snapshotStats(ctx context.Context, tree provider.Tree) (stats, error) {
	dir, err := os.MkdirTemp("", "velin-plan-")
	if err != nil {
		return stats{}, err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, filepath.Base(s.path))
	if _, err := s.restoreTo(ctx, tree, tmp); err != nil {
		return stats{}, err
	}
	return readStats(ctx, dsn(tmp, true, true))
}

// tableChanges compares the tables of the snapshot with the current ones.
func tableChanges(snap, cur stats, same bool) []provider.Change {
	out := []provider.Change{}
	names := map[string]int64{}
	for n, c := range snap.names {
		names[n] = c
	}
	for n, c := range cur.names {
		names[n] = c
	}
	for _, name := range sortedKeys(names) {
		c := provider.Change{What: "table " + name, Part: true}
		sn, inSnap := snap.names[name]
		cn, inCur := cur.names[name]
		if inSnap {
			c.Snapshot = rowsText(sn)
		}
		if inCur {
			c.Current = rowsText(cn)
		}
		switch {
		case same:
			c.Action = "unchanged"
		case !inCur:
			c.Action = "create"
		case !inSnap:
			c.Action = "drop"
		default:
			c.Action = "replace"
		}
		out = append(out, c)
	}
	return out
}

func rowsText(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

// identical says whether the database at dest already is the snapshot's
// (same bytes, and no journal or write-ahead log that would change it).
func identical(ctx context.Context, tree provider.Tree, e provider.Entry, dest string) bool {
	for _, suffix := range []string{"-wal", "-journal"} {
		if fi, err := os.Stat(dest + suffix); err == nil && fi.Size() > 0 {
			return false
		}
	}
	f, err := os.Open(dest)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != e.Size {
		return false
	}
	return provider.SameContent(ctx, tree, e, f)
}
