package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/velinhq/velin/providers/provider"
)

func (s *Source) facts(st stats, bytes int64) provider.Facts {
	return provider.Facts{
		Type:          TypeName,
		Identity:      s.path,
		ServerVersion: "sqlite " + st.version,
		Files:         1,
		Bytes:         bytes,
		Tables:        st.tables,
		Rows:          st.rows,
	}
}

// live stats the database file, so that a missing one is a clear error
// rather than an empty database created by the driver.
func (s *Source) live() (fs.FileInfo, error) {
	fi, err := os.Stat(s.path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", s.path)
	}
	return fi, nil
}

// Inspect implements provider.Source: table and row counts read from the
// live database in one read transaction, without copying it.
func (s *Source) Inspect(ctx context.Context) (provider.Facts, error) {
	fi, err := s.live()
	if err != nil {
		return provider.Facts{}, fmt.Errorf("inspect sqlite: %w", err)
	}
	st, err := readStats(ctx, dsn(s.path, true, false))
	if err != nil {
		return provider.Facts{}, fmt.Errorf("inspect sqlite %s: %w", s.path, err)
	}
	return s.facts(st, fi.Size()), nil
}

// Backup implements provider.Source.
func (s *Source) Backup(ctx context.Context, sink provider.Sink, opts provider.BackupOptions) (provider.Facts, error) {
	fi, err := s.live()
	if err != nil {
		return provider.Facts{}, fmt.Errorf("backup sqlite: %w", err)
	}
	dir, err := os.MkdirTemp("", "velin-sqlite-")
	if err != nil {
		return provider.Facts{}, fmt.Errorf("backup sqlite: %w", err)
	}
	defer os.RemoveAll(dir)
	cp := filepath.Join(dir, filepath.Base(s.path))
	if err := vacuumInto(ctx, s.path, cp); err != nil {
		return provider.Facts{}, fmt.Errorf("backup sqlite %s: copy: %w", s.path, err)
	}
	st, err := readStats(ctx, dsn(cp, true, true))
	if err != nil {
		return provider.Facts{}, fmt.Errorf("backup sqlite %s: read copy: %w", s.path, err)
	}
	size, err := s.store(ctx, sink, cp, fi)
	if err != nil {
		return provider.Facts{}, fmt.Errorf("backup sqlite %s: %w", s.path, err)
	}
	return s.facts(st, size), nil
}

func vacuumInto(ctx context.Context, src, dst string) error {
	db, err := sql.Open("sqlite", dsn(src, true, false))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "VACUUM INTO ?", dst)
	return err
}

// store streams the copy into the sink as one entry with the live file's
// name, mode and owner.
func (s *Source) store(ctx context.Context, sink provider.Sink, cp string, live fs.FileInfo) (int64, error) {
	f, err := os.Open(cp)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	e := provider.Entry{
		Path:    filepath.Base(s.path),
		Kind:    provider.KindFile,
		Mode:    live.Mode().Perm(),
		ModTime: live.ModTime(),
		Size:    fi.Size(),
	}
	if st, ok := live.Sys().(*syscall.Stat_t); ok {
		e.UID, e.GID = st.Uid, st.Gid
	}
	if err := sink.Put(ctx, e, f); err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	return e.Size, nil
}
