package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sqlassert"
)

// sidecars are the files SQLite keeps next to a database; a stale one
// would be replayed into the restored database.
func sidecars() []string { return []string{"-wal", "-shm", "-journal"} }

// dest is where a restore writes: the configured path, or the database's
// file name under the directory To.
func (s *Source) dest(to string) (string, error) {
	if to == "" {
		return s.path, nil
	}
	dir, err := filepath.Abs(to)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(s.path)), nil
}

// entry finds the one database file of the tree.
func entry(ctx context.Context, tree provider.Tree) (provider.Entry, error) {
	var found []provider.Entry
	err := tree.Walk(ctx, func(e provider.Entry) error {
		if e.Kind == provider.KindFile {
			found = append(found, e)
		}
		return nil
	})
	if err != nil {
		return provider.Entry{}, err
	}
	if len(found) != 1 {
		return provider.Entry{}, fmt.Errorf("%w (found %d)", ErrTree, len(found))
	}
	return found[0], nil
}

// Restore implements provider.Source.
func (s *Source) Restore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) error {
	dest, err := s.dest(opts.To)
	if err != nil {
		return fmt.Errorf("restore sqlite: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fmt.Errorf("restore sqlite: %w", err)
	}
	e, err := entry(ctx, tree)
	if err != nil {
		return fmt.Errorf("restore sqlite: %w", err)
	}
	removeStale(dest)
	if identical(ctx, tree, e, dest) {
		return nil
	}
	if _, err := s.restoreTo(ctx, tree, dest); err != nil {
		return fmt.Errorf("restore sqlite to %s: %w", dest, err)
	}
	return nil
}

// restoreTo writes the database to a checked temporary file and renames it
// over dest. It returns the restored entry.
func (s *Source) restoreTo(ctx context.Context, tree provider.Tree, dest string) (provider.Entry, error) {
	e, err := entry(ctx, tree)
	if err != nil {
		return e, err
	}
	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return e, err
	}
	tmp, err := writeTemp(ctx, tree, e, dir, filepath.Base(dest))
	if err != nil {
		return e, err
	}
	defer os.Remove(tmp) // gone after the rename; cleans up on failure
	if err := integrityCheck(ctx, tmp); err != nil {
		return e, err
	}
	return e, replace(tmp, dest)
}

// removeStale deletes the temporary files (writeTemp's names) an
// interrupted restore of dest left next to it; they are never the live
// database. (Sidecars moved aside are left alone: after a crash before the
// rename they belong to the live database.)
func removeStale(dest string) {
	dir, base := filepath.Dir(dest), filepath.Base(dest)
	stale, _ := filepath.Glob(filepath.Join(dir, "."+globEscape(base)+".velin-*.tmp"))
	for _, p := range stale {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
			os.Remove(p)
		}
	}
}

// globEscape quotes the glob metacharacters of a file name.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// writeTemp copies the entry into a new temporary file in dir, synced,
// with the entry's mode and (as root) owner.
func writeTemp(ctx context.Context, tree provider.Tree, e provider.Entry, dir, base string) (string, error) {
	f, err := os.CreateTemp(dir, "."+base+".velin-*.tmp")
	if err != nil {
		return "", err
	}
	err = fill(ctx, f, tree, e)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func fill(ctx context.Context, f *os.File, tree provider.Tree, e provider.Entry) error {
	rc, err := tree.Open(ctx, e)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, rc)
	rc.Close()
	if err != nil {
		return err
	}
	if n != e.Size {
		return fmt.Errorf("content of %s is %d bytes, entry says %d", e.Path, n, e.Size)
	}
	if os.Geteuid() == 0 {
		if err := f.Chown(int(e.UID), int(e.GID)); err != nil {
			return err
		}
	}
	if err := f.Chmod(e.Mode.Perm()); err != nil {
		return err
	}
	return f.Sync()
}

// replace renames tmp over dest. The old database's sidecar files are
// moved aside first (and back if the rename fails), deleted after.
func replace(tmp, dest string) error {
	var moved []string
	for _, suffix := range sidecars() {
		side := dest + suffix
		aside := side + ".velin-old"
		err := os.Rename(side, aside)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			restoreSidecars(dest, moved)
			return fmt.Errorf("move aside %s: %w", side, err)
		}
		moved = append(moved, suffix)
	}
	if err := os.Rename(tmp, dest); err != nil {
		restoreSidecars(dest, moved)
		return err
	}
	for _, suffix := range moved {
		os.Remove(dest + suffix + ".velin-old")
	}
	return syncDir(filepath.Dir(dest))
}

func restoreSidecars(dest string, moved []string) {
	for _, suffix := range moved {
		_ = os.Rename(dest+suffix+".velin-old", dest+suffix)
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// TestRestore implements provider.Source: it restores the database file
// into opts.Scratch, checks its integrity, counts its rows and runs the
// assertions on the copy (read-only).
func (s *Source) TestRestore(ctx context.Context, tree provider.Tree, opts provider.TestRestoreOptions) (provider.TestReport, error) {
	start := time.Now()
	dest := filepath.Join(opts.Scratch, filepath.Base(s.path))
	if _, err := s.restoreTo(ctx, tree, dest); err != nil {
		return provider.TestReport{}, fmt.Errorf("test restore sqlite: %w", err)
	}
	fi, err := os.Stat(dest)
	if err != nil {
		return provider.TestReport{}, fmt.Errorf("test restore sqlite: %w", err)
	}
	st, err := readStats(ctx, dsn(dest, true, true))
	if err != nil {
		return provider.TestReport{}, fmt.Errorf("test restore sqlite: count: %w", err)
	}
	rep := provider.TestReport{Counts: provider.Counts{Files: 1, Bytes: fi.Size(), Rows: st.rows, Check: "integrity_check: ok"}}
	rep.Checks = append(rep.Checks, provider.CheckResult{Name: "integrity_check", Kind: "integrity", Passed: true,
		Detail: fmt.Sprintf("ok, %d rows", st.rows), DurationMS: time.Since(start).Milliseconds()})
	if len(opts.Asserts) == 0 {
		return rep, nil
	}
	db, err := sql.Open("sqlite", dsn(dest, true, true))
	if err != nil {
		return provider.TestReport{}, fmt.Errorf("test restore sqlite: %w", err)
	}
	defer db.Close()
	rep.Checks = append(rep.Checks, sqlassert.Run(ctx, db, opts.Asserts)...)
	return rep, nil
}

// CheckAssert implements provider.Asserter: SQL assertions only.
func (s *Source) CheckAssert(a provider.Assert) error { return sqlassert.Check(a) }
