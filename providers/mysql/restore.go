package mysql

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/readahead"
)

// job is one database of the snapshot restored into one database.
type job struct {
	e      provider.Entry
	src    string          // the database the dump was taken from
	dest   string          // the database it is restored into
	tables map[string]bool // only these tables (RestoreOptions.Tables); nil: the whole database
}

// target is where a restore goes: this source's server, or the DSN of
// RestoreOptions.To, and the databases of the tree to restore.
func (s *Source) target(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) (*Source, []job, error) {
	dst := s
	var toDB string
	if opts.To != "" {
		c, err := parseDSN(opts.To)
		if err != nil {
			return nil, nil, fmt.Errorf("--to: %w", err)
		}
		if c.TLS != tlsOff { // the source's tls_* files serve --to too
			c.Files = s.c.Files
		}
		cp := *s
		cp.c, dst, toDB = c, &cp, c.DB
	}
	entries, err := dumps(ctx, tree)
	if err != nil {
		return nil, nil, err
	}
	var jobs []job
	for _, e := range entries {
		db := e.Meta["database"]
		if opts.Database != "" && db != opts.Database {
			continue
		}
		jobs = append(jobs, job{e: e, src: db, dest: db})
	}
	if len(jobs) == 0 {
		return nil, nil, fmt.Errorf("the snapshot holds no database %q (it holds %s)", opts.Database, names(entries))
	}
	if toDB != "" {
		if len(jobs) > 1 {
			return nil, nil, fmt.Errorf("--to names database %s but the snapshot holds %s: choose one with --database", toDB, names(entries))
		}
		jobs[0].dest = toDB
	}
	if jobs, err = selectTables(jobs, opts.Tables); err != nil {
		return nil, nil, err
	}
	return dst, jobs, nil
}

// selectTables limits jobs to the "db.table" names given.
func selectTables(jobs []job, tables []string) ([]job, error) {
	if len(tables) == 0 {
		return jobs, nil
	}
	var kept []job
	for _, j := range jobs {
		j.tables = map[string]bool{}
		for _, t := range tables {
			db, name, ok := strings.Cut(t, ".")
			if !ok || name == "" {
				return nil, fmt.Errorf("--table %q is not db.table", t)
			}
			if db == j.src {
				j.tables[name] = true
			}
		}
		if len(j.tables) > 0 {
			kept = append(kept, j)
		}
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("--table %s names no database of the snapshot", strings.Join(tables, " "))
	}
	return kept, nil
}

// dumps lists the dump entries of a tree, each with Meta["database"].
func dumps(ctx context.Context, tree provider.Tree) ([]provider.Entry, error) {
	var out []provider.Entry
	err := tree.Walk(ctx, func(e provider.Entry) error {
		if e.Kind != provider.KindFile || !strings.HasSuffix(e.Path, ".sql") || strings.Contains(e.Path, "/") {
			return nil
		}
		if e.Meta["database"] == "" {
			m := map[string]string{"database": strings.TrimSuffix(e.Path, ".sql")}
			for k, v := range e.Meta {
				m[k] = v
			}
			e.Meta = m
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the snapshot holds no database dump (<db>.sql)")
	}
	return out, nil
}

func names(entries []provider.Entry) string {
	var n []string
	for _, e := range entries {
		n = append(n, e.Meta["database"])
	}
	return strings.Join(n, ", ")
}

// Restore implements provider.Source. Each database is loaded into a
// scratch schema, checked, and swapped in with one RENAME TABLE (swap.go);
// a failure before the swap leaves the database as it was.
func (s *Source) Restore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) error {
	dst, jobs, err := s.target(ctx, tree, opts)
	if err != nil {
		return fmt.Errorf("restore mysql: %w", err)
	}
	h, sv, err := dst.server(ctx)
	if err != nil {
		return fmt.Errorf("restore mysql %s: %w", dst.c.where(), err)
	}
	defer h.Close()
	cli, err := dst.clientTool(ctx, sv)
	if err != nil {
		return fmt.Errorf("restore mysql %s: %w", dst.c.where(), err)
	}
	for _, j := range jobs {
		if err := dst.restoreDB(ctx, h, cli, tree, j); err != nil {
			return fmt.Errorf("restore mysql %s: database %s: %w", dst.c.where(), j.dest, err)
		}
	}
	return nil
}

// server connects without a database and reads the server.
func (s *Source) server(ctx context.Context) (*sql.DB, server, error) {
	h, err := s.open(ctx, "")
	if err != nil {
		return nil, server{}, err
	}
	sv, err := serverInfo(ctx, h)
	if err != nil {
		h.Close()
		return nil, server{}, err
	}
	return h, sv, nil
}

func (s *Source) restoreDB(ctx context.Context, h *sql.DB, cli tool, tree provider.Tree, j job) error {
	id := randomID()
	scratch, old := "velin_restore_"+id, "velin_old_"+id
	if s.staged != nil {
		s.staged(scratch, old)
	}
	release, err := own(ctx, h, scratch)
	if err != nil {
		return err
	}
	defer release()
	defer dropQuietly(h, scratch)
	if _, err := s.load(ctx, h, cli, tree, j.e, scratch); err != nil {
		return fmt.Errorf("%w (the database was not changed)", err)
	}
	return swap(ctx, h, swapPlan{live: j.dest, scratch: scratch, old: old, only: j.tables, wait: s.lockWait})
}

// load creates the schema db, replays the dump of e into it through the
// client, and checks that every table holds the rows the dump holds.
func (s *Source) load(ctx context.Context, h *sql.DB, cli tool, tree provider.Tree, e provider.Entry, db string) (*counter, error) {
	c, got, err := s.replay(ctx, h, cli, tree, e, db)
	if err != nil {
		return nil, err
	}
	for _, t := range sorted(tableSet(c.rows)) {
		if n, ok := got[t]; !ok || n != c.rows[t] {
			return nil, fmt.Errorf("%w: table %s has %d rows after the load, the dump holds %d", ErrLoad, t, n, c.rows[t])
		}
	}
	return c, nil
}

// replay creates the schema db and replays the dump of e into it. It
// returns what the dump holds and the rows of each table after the load.
func (s *Source) replay(ctx context.Context, h *sql.DB, cli tool, tree provider.Tree, e provider.Entry, db string) (*counter, map[string]int64, error) {
	if _, err := h.ExecContext(ctx, "CREATE DATABASE "+quote(db)+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return nil, nil, fmt.Errorf("create scratch database %s: %w", db, err)
	}
	rc, err := tree.Open(ctx, e)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: read %s: %v", ErrLoad, e.Path, err)
	}
	defer rc.Close()
	c := newCounter()
	args := []string{"--default-character-set=utf8mb4", "--batch", "--database=" + db}
	if err := s.feed(ctx, cli, args, io.TeeReader(rc, c)); err != nil {
		return nil, nil, fmt.Errorf("%w: load %s into %s: %v", ErrLoad, e.Path, db, err)
	}
	if c.complete == 0 {
		return nil, nil, fmt.Errorf("%w: %s ends without its \"-- Dump completed\" line (a damaged or cut snapshot)", ErrLoad, e.Path)
	}
	got, err := countTables(ctx, h, db)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: count rows in %s: %v", ErrLoad, db, err)
	}
	return c, got, nil
}

// feedBuffer is the size of the feed's writes into the client's stdin;
// feedPause how long the feed waits for room for one (a client loading
// at 10 MB/s takes 50 KB meanwhile, of the pipe's 1 MiB).
const (
	feedBuffer = 256 << 10
	feedPause  = 5 * time.Millisecond
)

// feed runs the client with src on its stdin: a pipe with a 1 MiB kernel
// buffer (readahead.Pipe) that velin fills in writes of feedBuffer bytes,
// each once the pipe has room for it (readahead.Paced), so that the
// client, which waits on the server most of the time, finds the next
// statements in the pipe and velin is woken about once per 256 KiB rather
// than per page the client reads. A src that fails fails the
// load even when the client took the end of its input for the end of
// the dump.
func (s *Source) feed(ctx context.Context, cli tool, args []string, src io.Reader) error {
	pr, pw, size, err := readahead.Pipe()
	if err != nil {
		return fmt.Errorf("client stdin: %w", err)
	}
	fed, ran := make(chan error, 1), make(chan struct{})
	go func() {
		// the struct hides Paced's file's ReadFrom (32 KiB at a time)
		w := struct{ io.Writer }{readahead.NewPaced(pw, size, feedPause, ran)}
		_, err := io.CopyBuffer(w, src, make([]byte, feedBuffer))
		pw.Close()
		fed <- err
	}()
	err = s.run(ctx, cli, args, pr, io.Discard)
	close(ran)
	pr.Close() // a client that stopped early: the feed's writes fail now
	ferr := <-fed
	switch {
	case err != nil:
		return err
	case ferr != nil:
		return fmt.Errorf("read the dump: %w", ferr)
	}
	return nil
}

func tableSet(m map[string]int64) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func randomID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// dropQuietly drops a scratch database, also after ctx was cancelled.
func dropQuietly(h *sql.DB, db string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := h.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quote(db))
	return err
}

// PlanRestore implements provider.Source: per database, "create" when
// the destination holds no table yet, else "replace", then its tables:
// "create", "replace" or "drop" with the rows the snapshot and the
// destination hold. The snapshot's rows are counted by reading its dump.
func (s *Source) PlanRestore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) ([]provider.Change, error) {
	dst, jobs, err := s.target(ctx, tree, opts)
	if err != nil {
		return nil, fmt.Errorf("plan mysql restore: %w", err)
	}
	h, _, err := dst.server(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan mysql restore %s: %w", dst.c.where(), err)
	}
	defer h.Close()
	var out []provider.Change
	for _, j := range jobs {
		ch, err := dst.planDB(ctx, h, tree, j)
		if err != nil {
			return nil, fmt.Errorf("plan mysql restore %s: database %s: %w", dst.c.where(), j.dest, err)
		}
		out = append(out, ch...)
	}
	return out, nil
}

func (s *Source) planDB(ctx context.Context, h *sql.DB, tree provider.Tree, j job) ([]provider.Change, error) {
	snap, err := scanDump(ctx, tree, j.e)
	if err != nil {
		return nil, err
	}
	cur, err := countTables(ctx, h, j.dest)
	if err != nil {
		return nil, err
	}
	what := s.c.where() + "/" + j.e.Path
	if j.dest != j.src {
		what = s.c.where() + "/" + j.dest + " (from " + j.e.Path + ")"
	}
	db := provider.Change{Action: "replace", What: what, Snapshot: tablesText(snap.rows), Current: tablesText(cur)}
	if len(cur) == 0 {
		db.Action, db.Current = "create", ""
	}
	if j.tables != nil {
		db.Detail = "only " + strings.Join(sorted(j.tables), ", ")
	}
	return append([]provider.Change{db}, tableChanges(snap.rows, cur, j.tables)...), nil
}

// scanDump counts what the dump of e holds by reading it.
func scanDump(ctx context.Context, tree provider.Tree, e provider.Entry) (*counter, error) {
	rc, err := tree.Open(ctx, e)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	c := newCounter()
	if _, err := io.Copy(c, rc); err != nil {
		return nil, fmt.Errorf("read %s: %w", e.Path, err)
	}
	return c, nil
}

func tableChanges(snap, cur map[string]int64, only map[string]bool) []provider.Change {
	all := map[string]bool{}
	for t := range snap {
		all[t] = true
	}
	for t := range cur {
		all[t] = true
	}
	var out []provider.Change
	for _, t := range sorted(all) {
		if only != nil && !only[t] {
			continue
		}
		c := provider.Change{What: "table " + t, Part: true}
		sn, inSnap := snap[t]
		cn, inCur := cur[t]
		if inSnap {
			c.Snapshot = rowsText(sn)
		}
		if inCur {
			c.Current = rowsText(cn)
		}
		switch {
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

func tablesText(rows map[string]int64) string {
	var n int64
	for _, r := range rows {
		n += r
	}
	return fmt.Sprintf("%d tables, %s", len(rows), rowsText(n))
}

func rowsText(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}
