package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/readahead"
)

// aheadSize and aheadBuffers bound how far a dump is read ahead of the
// sink (2 MiB).
const (
	aheadSize    = 256 << 10
	aheadBuffers = 8
)

// globalsEntry is the entry holding roles and tablespaces.
const globalsEntry = "globals.sql"

// entryName is the entry of a database's dump: its name with "%" and "/"
// escaped (and a database called "globals" kept apart from the globals).
func entryName(db string) string {
	name := strings.NewReplacer("%", "%25", "/", "%2F").Replace(db)
	if name == "globals" || name == "." || name == ".." {
		name = "%" + strconv.FormatInt(int64(name[0]), 16) + name[1:]
	}
	return name + ".sql"
}

// restrictKey derives the psql \restrict key from the source and the
// database, so that an unchanged database dumps to the same bytes (and
// deduplicates) while pg_dump's own random key would change every time.
func (s *Source) restrictKey(db string) string {
	sum := sha256.Sum256([]byte("velin restrict key\x00" + s.identity() + "\x00" + db))
	return hex.EncodeToString(sum[:16])
}

// dumpArgs are pg_dump's arguments for db (the connection is in the
// environment, the password never here).
func (s *Source) dumpArgs(cl client) []string {
	args := []string{"--format=plain", "--no-password", "--clean", "--if-exists"}
	for _, p := range s.opts.Schemas {
		args = append(args, "--schema="+p)
	}
	for _, p := range s.opts.ExcludeTables {
		args = append(args, "--exclude-table="+p)
	}
	for _, p := range s.opts.ExcludeTableData {
		args = append(args, "--exclude-table-data="+p)
	}
	return args
}

// Backup implements provider.Source: one pg_dump per database, streamed
// into the sink as "<db>.sql" while its COPY rows are counted, then the
// globals when asked. Each database is consistent in itself (pg_dump runs
// in one repeatable-read transaction); databases are dumped one after the
// other. Any failure of pg_dump fails the backup.
func (s *Source) Backup(ctx context.Context, sink provider.Sink, opts provider.BackupOptions) (provider.Facts, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	sv, err := s.probe(ctx)
	if err != nil {
		return provider.Facts{}, fmt.Errorf("backup postgres %s: %w", s.conn.where(), err)
	}
	f := s.facts(sv)
	start := time.Now()
	var list []string
	for _, db := range sv.databases {
		c, size, err := s.dumpDatabase(ctx, sink, sv, db, start)
		if err != nil {
			return provider.Facts{}, fmt.Errorf("backup postgres %s: %w", s.conn.with(db).where(), err)
		}
		f.Files++
		f.Bytes += size
		f.Tables += int64(len(c.tables))
		f.Rows += c.total()
		list = append(list, fmt.Sprintf("%s (%d tables, %d rows)", db, len(c.tables), c.total()))
	}
	if s.opts.Globals {
		size, err := s.dumpGlobals(ctx, sink, sv, start)
		if err != nil {
			return provider.Facts{}, fmt.Errorf("backup postgres %s: globals: %w", s.conn.where(), err)
		}
		f.Files++
		f.Bytes += size
	}
	f.Details["databases"] = strings.Join(list, ", ")
	return f, nil
}

func (s *Source) meta(sv server, db string) map[string]string {
	return map[string]string{"database": db, "client_version": sv.client.version.String(),
		"server_version": sv.version.String()}
}

// dumpDatabase streams one pg_dump into the sink.
func (s *Source) dumpDatabase(ctx context.Context, sink provider.Sink, sv server, db string, at time.Time) (*counter, int64, error) {
	args := s.dumpArgs(sv.client)
	if sv.client.version.restrictKey() {
		args = append(args, "--restrict-key="+s.restrictKey(db))
	}
	e := provider.Entry{Path: entryName(db), Kind: provider.KindFile, Mode: 0o600, ModTime: at, Size: provider.SizeUnknown,
		Meta: s.meta(sv, db)}
	c, size, err := s.stream(ctx, sink, e, sv.client.dump, s.conn.with(db).env(), args)
	return c, size, err
}

// dumpGlobals streams pg_dumpall --globals-only into the sink.
func (s *Source) dumpGlobals(ctx context.Context, sink provider.Sink, sv server, at time.Time) (int64, error) {
	args := []string{"--globals-only", "--no-password", "--database=" + s.conn.database}
	if sv.client.version.restrictKey() {
		args = append(args, "--restrict-key="+s.restrictKey("\x00globals"))
	}
	meta := s.meta(sv, "")
	delete(meta, "database")
	meta["kind"] = "globals"
	e := provider.Entry{Path: globalsEntry, Kind: provider.KindFile, Mode: 0o600, ModTime: at, Size: provider.SizeUnknown, Meta: meta}
	_, size, err := s.stream(ctx, sink, e, sv.client.tool("pg_dumpall"), s.conn.env(), args)
	return size, err
}

// stream runs a dump tool and hands its stdout to the sink as e. The
// child is killed (its whole process group) if the sink fails or ctx ends.
func (s *Source) stream(ctx context.Context, sink provider.Sink, e provider.Entry, tool string, env, args []string) (*counter, int64, error) {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := command(ctx, tool, env, args...)
	stderr := &tail{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, 0, err
	}
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("start %s: %w", tool, err)
	}
	c := newCounter(out)
	c.globals = e.Path == globalsEntry
	// the dump is read and counted ahead of the sink, so that pg_dump goes
	// on while the sink chunks and hashes what came before
	ahead := readahead.New(c, aheadSize, aheadBuffers)
	defer ahead.Close()
	sized := &sizeReader{r: ahead}
	putErr := sink.Put(ctx, e, sized)
	if putErr != nil && !errors.Is(putErr, errTruncated) {
		cancel() // the sink failed: stop the dump (its output ended otherwise)
	}
	waitErr := cmd.Wait()
	name := "pg_dump"
	if c.globals {
		name = "pg_dumpall"
	}
	switch {
	case waitErr != nil && (putErr == nil || errors.Is(putErr, errTruncated)):
		return nil, 0, fmt.Errorf("%w: %w", ErrDump, exitError(name, waitErr, parent, stderr, s.conn.password))
	case errors.Is(putErr, errTruncated):
		return nil, 0, fmt.Errorf("%w: %s: %w", ErrDump, name, putErr)
	case putErr != nil:
		return nil, 0, fmt.Errorf("store %s: %w", e.Path, putErr)
	}
	return c, sized.n, nil
}

type sizeReader struct {
	r interface{ Read([]byte) (int, error) }
	n int64
}

func (s *sizeReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	return n, err
}
