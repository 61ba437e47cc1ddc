package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/velinhq/velin/providers/provider"
)

// snapshot is what a tree holds: info.json and the database entries.
type snapshot struct {
	info    info
	entries map[int]provider.Entry
}

// ErrTree means the tree is not a redis snapshot.
var ErrTree = errors.New("snapshot is not a complete redis backup")

func readSnapshot(ctx context.Context, tree provider.Tree) (snapshot, error) {
	snap := snapshot{entries: map[int]provider.Entry{}}
	var inf *provider.Entry
	byName := map[string]provider.Entry{}
	err := tree.Walk(ctx, func(e provider.Entry) error {
		if e.Path == infoPath {
			inf = &e
		} else if e.Kind == provider.KindFile {
			byName[e.Path] = e
		}
		return nil
	})
	if err != nil {
		return snap, err
	}
	if inf == nil {
		return snap, fmt.Errorf("%w: no %s", ErrTree, infoPath)
	}
	rc, err := tree.Open(ctx, *inf)
	if err != nil {
		return snap, err
	}
	defer rc.Close()
	if err := json.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&snap.info); err != nil {
		return snap, fmt.Errorf("%w: %s: %v", ErrTree, infoPath, err)
	}
	if snap.info.Format != 1 {
		return snap, fmt.Errorf("%w: format %d is not known to this velin", ErrTree, snap.info.Format)
	}
	for _, d := range snap.info.Databases {
		e, ok := byName[d.Entry]
		if !ok || d.Entry != entryName(d.DB) {
			return snap, fmt.Errorf("%w: database %d has no entry %s", ErrTree, d.DB, d.Entry)
		}
		snap.entries[d.DB] = e
	}
	return snap, nil
}

// pair is one database to restore: from the snapshot's db into target.
type pair struct {
	from, to int
	keys     int64
}

// dest resolves where a restore goes: the server, and which snapshot
// database lands in which database number.
func (s *Source) dest(snap snapshot, opts provider.RestoreOptions) (Server, []pair, error) {
	if len(opts.Tables) > 0 {
		return Server{}, nil, fmt.Errorf("--table: a redis database has no tables; restore it whole (--database N)")
	}
	var pairs []pair
	for _, d := range snap.info.Databases {
		pairs = append(pairs, pair{from: d.DB, to: d.DB, keys: d.Keys})
	}
	if opts.Database != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(opts.Database, "db"))
		var keep []pair
		for _, p := range pairs {
			if err == nil && p.from == n {
				keep = append(keep, p)
			}
		}
		if len(keep) == 0 {
			return Server{}, nil, fmt.Errorf("the snapshot holds no database %q; it holds %s", opts.Database, dbList(pairs))
		}
		pairs = keep
	}
	if opts.To == "" {
		return s.srv, pairs, nil
	}
	srv, db, err := ParseAddr(opts.To)
	if err != nil {
		return Server{}, nil, fmt.Errorf("--to: %v", err)
	}
	if srv.TLS { // rediss://: checked with the source's tls_* settings
		srv.TLSOpts = s.srv.TLSOpts
	}
	if db != AllDBs {
		if len(pairs) != 1 {
			return Server{}, nil, fmt.Errorf("--to names database %d but the snapshot holds %s: choose one with --database, or give --to without a database number", db, dbList(pairs))
		}
		pairs[0].to = db
	}
	return srv, pairs, nil
}

func dbList(pairs []pair) string {
	if len(pairs) == 0 {
		return "no database"
	}
	var names []string
	for _, p := range pairs {
		names = append(names, "db"+strconv.Itoa(p.from))
	}
	return strings.Join(names, ", ")
}

// PlanRestore implements provider.Source: for each database, its keys in
// the snapshot and now, and whether it is emptied (flush) or merged.
func (s *Source) PlanRestore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) ([]provider.Change, error) {
	snap, err := readSnapshot(ctx, tree)
	if err != nil {
		return nil, fmt.Errorf("plan redis restore: %w", err)
	}
	srv, pairs, err := s.dest(snap, opts)
	if err != nil {
		return nil, fmt.Errorf("plan redis restore: %w", err)
	}
	exclude := map[int]bool{}
	for _, p := range pairs {
		exclude[p.to] = true
	}
	staging, err := s.findScratch(ctx, srv, exclude)
	if err != nil {
		return nil, fmt.Errorf("plan redis restore: %w", err)
	}
	changes := []provider.Change{}
	for _, p := range pairs {
		c := s.client(srv, p.to)
		cur, err := c.DBSize(ctx).Result()
		c.Close()
		if err != nil {
			return nil, fmt.Errorf("plan redis restore: %w", s.explain(srv, p.to, err))
		}
		ch := provider.Change{Action: "create", What: fmt.Sprintf("%s/db%d", srv.Addr, p.to), Snapshot: keysText(p.keys)}
		if cur > 0 {
			ch.Action, ch.Current = "replace", keysText(cur)
		}
		ch.Detail = mode(s.flushFor(opts), cur) + fmt.Sprintf(" (staging database: %d)", staging)
		changes = append(changes, ch)
	}
	return changes, nil
}

// CanFlush implements provider.Flushable: a restore block's flush
// overrides the source's.
func (s *Source) CanFlush() bool { return true }

// flushFor is whether a restore with opts empties the databases first.
func (s *Source) flushFor(opts provider.RestoreOptions) bool {
	if opts.Flush != nil {
		return *opts.Flush
	}
	return s.flush
}

func mode(flush bool, cur int64) string {
	const staged = "staged in an empty database and swapped in (SWAPDB): a failed restore changes nothing"
	switch {
	case flush && cur > 0:
		return "flush: the " + keysText(cur) + " there now are deleted; " + staged
	case flush:
		return "flush; " + staged
	case cur > 0:
		return "merge (flush = false): keys in the snapshot are replaced, other keys stay; " + staged
	}
	return staged
}

// Restore implements provider.Source. Each database in turn is restored
// into a scratch database (claimed empty); without flush the
// destination's keys the snapshot lacks are then copied next to it (COPY,
// no replace); then it is swapped in with SWAPDB and the scratch number,
// now holding the old data, emptied. A failure before the swap empties
// the scratch database and leaves that destination database as it was;
// the error names the databases restored already.
func (s *Source) Restore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) error {
	snap, err := readSnapshot(ctx, tree)
	if err != nil {
		return fmt.Errorf("restore redis: %w", err)
	}
	srv, pairs, err := s.dest(snap, opts)
	if err != nil {
		return fmt.Errorf("restore redis: %w", err)
	}
	exclude := map[int]bool{}
	for _, p := range pairs {
		exclude[p.to] = true
	}
	id := newID()
	var done []string
	for _, p := range pairs {
		if err := s.restoreDB(ctx, tree, snap, srv, p, exclude, id, s.flushFor(opts)); err != nil {
			return fmt.Errorf("restore redis to %s: %w (%s)", srv.Addr, err, restoredText(done))
		}
		done = append(done, "db"+strconv.Itoa(p.to))
	}
	return nil
}

func restoredText(done []string) string {
	if len(done) == 0 {
		return "nothing was changed"
	}
	return strings.Join(done, ", ") + " restored already, the rest as it was"
}

// restoreDB stages one database in a scratch database, swaps it in and
// empties the scratch database (also when anything fails).
func (s *Source) restoreDB(ctx context.Context, tree provider.Tree, snap snapshot, srv Server, p pair, exclude map[int]bool, id string, flush bool) error {
	sc, err := s.claimScratch(ctx, srv, exclude, markerRestore, id)
	if err != nil {
		return err
	}
	if _, err := s.load(ctx, tree, snap, p.from, sc); err != nil {
		return errors.Join(fmt.Errorf("db %d: %w", p.from, err), sc.release())
	}
	if !flush {
		if err := s.merge(ctx, srv, p.to, sc); err != nil {
			return errors.Join(fmt.Errorf("db %d: keep the keys the snapshot lacks: %w", p.to, err), sc.release())
		}
	}
	if err := swap(ctx, sc, p.to); err != nil {
		return errors.Join(fmt.Errorf("db %d: swap: %w", p.to, err), sc.release())
	}
	return sc.release()
}

// swap removes the marker and swaps the staged database with the
// destination in one transaction; the scratch number then holds the old
// data, marked so that a killed run's leftover is recognised.
func swap(ctx context.Context, sc *scratch, to int) error {
	_, err := sc.c.TxPipelined(ctx, func(pipe goredis.Pipeliner) error {
		pipe.Del(ctx, sc.marker)
		pipe.Do(ctx, "SWAPDB", sc.db, to)
		sc.heartbeat(ctx, pipe)
		return nil
	})
	return err
}

// loadStats are what loading a database found.
type loadStats struct {
	records  int64 // records read
	restored int64 // keys restored
	expiring int64 // restored keys with a TTL
}

// load restores the records of the snapshot's database db into sc with
// RESTORE … REPLACE in pipelined batches. A key whose TTL had run out
// when the backup ended is skipped; the others get the TTL they had left
// then.
func (s *Source) load(ctx context.Context, tree provider.Tree, snap snapshot, db int, sc *scratch) (loadStats, error) {
	var st loadStats
	rc, err := tree.Open(ctx, snap.entries[db])
	if err != nil {
		return st, err
	}
	defer rc.Close()
	rr, err := newRecordReader(rc)
	if err != nil {
		return st, err
	}
	b := &batch{sc: sc}
	for {
		r, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, err
		}
		st.records++
		var ttl int64
		if r.ExpireAt != 0 {
			if ttl = r.ExpireAt - snap.info.EndUnixMS; ttl <= 0 {
				continue
			}
			st.expiring++
		}
		st.restored++
		if err := b.add(ctx, r, ttl); err != nil {
			return st, err
		}
	}
	return st, b.flush(ctx)
}

// batch collects RESTORE commands up to 1000 keys or 16 MB.
type batch struct {
	sc    *scratch
	pipe  goredis.Pipeliner
	n     int
	bytes int
}

func (b *batch) add(ctx context.Context, r record, ttl int64) error {
	if b.pipe == nil {
		b.pipe = b.sc.c.Pipeline()
	}
	b.pipe.Do(ctx, "RESTORE", r.Key, ttl, r.Payload, "REPLACE")
	b.n++
	b.bytes += len(r.Key) + len(r.Payload)
	if b.n >= 1000 || b.bytes >= 16<<20 {
		return b.flush(ctx)
	}
	return nil
}

func (b *batch) flush(ctx context.Context) error {
	if b.pipe == nil {
		return nil
	}
	b.sc.heartbeat(ctx, b.pipe)
	cmds, err := b.pipe.Exec(ctx)
	b.pipe, b.n, b.bytes = nil, 0, 0
	if err == nil {
		return nil
	}
	for _, c := range cmds {
		if e := c.Err(); e != nil {
			if strings.Contains(e.Error(), "payload version") {
				return fmt.Errorf("RESTORE: %w (the snapshot comes from a newer Redis than the destination: restore into the same or a newer version)", e)
			}
			return fmt.Errorf("RESTORE: %w", e)
		}
	}
	return err
}

// merge copies the keys of database to that the staged copy lacks into
// it (COPY without REPLACE, Redis 6.2+), so that without flush the swap
// keeps them.
func (s *Source) merge(ctx context.Context, srv Server, to int, sc *scratch) error {
	c := s.client(srv, to)
	defer c.Close()
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, "", s.batchKeys).Result()
		if err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		sort.Strings(keys)
		pipe := c.Pipeline()
		for _, k := range keys {
			pipe.Do(ctx, "COPY", k, k, "DB", sc.db)
		}
		if len(keys) > 0 {
			if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
				return fmt.Errorf("copy: %w", err)
			}
			if err := sc.c.Set(ctx, sc.marker, sc.id+" "+nowText(), 0).Err(); err != nil {
				return err
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}
