package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Marker keys. A database that stages a restore holds markerRestore, one
// that holds a test restore markerVerify; the value is "<id> <unix
// seconds>", the time refreshed after every batch. One key of a fixed name
// per database, so that finding leftovers costs one EXISTS per database,
// never a scan of live data.
const (
	markerRestore = "velin:restore"
	markerVerify  = "velin:verify"
)

// staleAfter is how long a marker may go without a heartbeat before
// CleanLeftovers takes its database for a leftover of a killed run.
const staleAfter = 5 * time.Minute

// scratch is a database claimed to stage a restore or a test restore.
type scratch struct {
	db     int
	c      *goredis.Client // connected to db
	marker string
	value  string // "<id> " + heartbeat
	id     string
}

func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// heartbeat refreshes the marker in pipe.
func (sc *scratch) heartbeat(ctx context.Context, pipe goredis.Pipeliner) {
	pipe.Set(ctx, sc.marker, sc.id+" "+nowText(), 0)
}

func nowText() string { return strconv.FormatInt(time.Now().Unix(), 10) }

// release empties the scratch database and closes its client.
func (sc *scratch) release() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	defer sc.c.Close()
	if err := sc.c.FlushDB(ctx).Err(); err != nil {
		return fmt.Errorf("flush scratch database %d: %w (flush it by hand: it holds velin's staged copy)", sc.db, err)
	}
	return nil
}

// databases is the server's number of databases (16 when CONFIG is not
// allowed).
func databases(ctx context.Context, c *goredis.Client) int {
	v, err := c.ConfigGet(ctx, "databases").Result()
	if err != nil {
		return 16
	}
	n, err := strconv.Atoi(v["databases"])
	if err != nil || n <= 0 {
		return 16
	}
	return n
}

// claimScratch claims an empty database of srv for staging: scratch_db
// when set, else the highest-numbered empty database not in exclude. The
// claim is the marker key set in the empty database; a database another
// claimer filled meanwhile is given up.
func (s *Source) claimScratch(ctx context.Context, srv Server, exclude map[int]bool, marker, id string) (*scratch, error) {
	cands, err := s.candidates(ctx, srv, exclude)
	if err != nil {
		return nil, err
	}
	for _, n := range cands {
		sc, err := s.tryClaim(ctx, srv, n, marker, id)
		if err != nil {
			return nil, err
		}
		if sc != nil {
			return sc, nil
		}
		if s.scratch >= 0 {
			return nil, s.notEmpty(srv)
		}
	}
	return nil, noScratch(srv)
}

// findScratch returns the database a restore would stage in now, without
// claiming it, so that the plan finds a missing one before anything runs.
func (s *Source) findScratch(ctx context.Context, srv Server, exclude map[int]bool) (int, error) {
	cands, err := s.candidates(ctx, srv, exclude)
	if err != nil {
		return 0, err
	}
	for _, n := range cands {
		c := s.client(srv, n)
		size, err := c.DBSize(ctx).Result()
		c.Close()
		if err != nil {
			return 0, fmt.Errorf("scratch database %d: %w", n, s.explain(srv, n, err))
		}
		if size == 0 || stale(ctx, s.client(srv, n)) {
			return n, nil
		}
		if s.scratch >= 0 {
			return 0, s.notEmpty(srv)
		}
	}
	return 0, noScratch(srv)
}

// candidates lists the databases that may stage a restore, best first.
func (s *Source) candidates(ctx context.Context, srv Server, exclude map[int]bool) ([]int, error) {
	if s.scratch >= 0 {
		if exclude[s.scratch] {
			return nil, fmt.Errorf("scratch_db %d is also a database being restored: choose another scratch_db", s.scratch)
		}
		return []int{s.scratch}, nil
	}
	admin := s.client(srv, 0)
	defer admin.Close()
	var cands []int
	for n := databases(ctx, admin) - 1; n >= 0; n-- {
		if !exclude[n] {
			cands = append(cands, n)
		}
	}
	return cands, nil
}

func (s *Source) notEmpty(srv Server) error {
	return fmt.Errorf("scratch_db %d on %s is not empty: empty it (FLUSHDB) or choose an unused database number", s.scratch, srv.Addr)
}

func noScratch(srv Server) error {
	return fmt.Errorf("no empty database on %s to stage the restore in (every number holds keys or is being restored): set scratch_db to a database number no application uses, or empty one", srv.Addr)
}

func (s *Source) tryClaim(ctx context.Context, srv Server, n int, marker, id string) (*scratch, error) {
	c := s.client(srv, n)
	size, err := c.DBSize(ctx).Result()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("scratch database %d: %w", n, s.explain(srv, n, err))
	}
	if size > 0 && s.reclaim(ctx, c) {
		size = 0
	}
	sc := &scratch{db: n, c: c, marker: marker, id: id}
	if size == 0 {
		pipe := c.Pipeline()
		sc.heartbeat(ctx, pipe)
		size := pipe.DBSize(ctx)
		if _, err := pipe.Exec(ctx); err != nil {
			c.Close()
			return nil, fmt.Errorf("claim scratch database %d: %w", n, err)
		}
		if size.Val() == 1 {
			return sc, nil
		}
		if v, _ := c.Get(ctx, marker).Result(); strings.HasPrefix(v, id+" ") {
			c.Del(ctx, marker)
		}
	}
	c.Close()
	return nil, nil
}

// CleanLeftovers implements provider.LeftoverCleaner: it empties the
// databases of the source's server (and of test_restore_addr) that hold a
// restore or test-restore marker without a heartbeat for staleAfter,
// left by a run that was killed.
func (s *Source) CleanLeftovers(ctx context.Context) ([]string, error) {
	var out []string
	for _, srv := range s.scratchServers() {
		got, err := s.cleanServer(ctx, srv)
		out = append(out, got...)
		if err != nil {
			return out, fmt.Errorf("clean redis leftovers on %s: %w", srv.Addr, err)
		}
	}
	return out, nil
}

func (s *Source) scratchServers() []Server {
	out := []Server{s.srv}
	if t, ok := s.testServer(); ok && t.Addr != s.srv.Addr {
		out = append(out, t)
	}
	return out
}

func (s *Source) cleanServer(ctx context.Context, srv Server) ([]string, error) {
	admin := s.client(srv, 0)
	defer admin.Close()
	if err := admin.Ping(ctx).Err(); err != nil {
		return nil, s.explain(srv, 0, err)
	}
	ks, err := admin.Info(ctx, "keyspace").Result()
	if err != nil {
		return nil, err
	}
	var out []string
	for db := range parseKeyspace(ks) {
		c := s.client(srv, db)
		stale, err := staleMarker(ctx, c)
		if err == nil && stale {
			if err = c.FlushDB(ctx).Err(); err == nil {
				out = append(out, fmt.Sprintf("redis %s db %d", srv.Addr, db))
			}
		}
		c.Close()
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// staleMarker says whether the database holds a marker whose heartbeat is
// older than staleAfter.
func staleMarker(ctx context.Context, c *goredis.Client) (bool, error) {
	for _, m := range []string{markerRestore, markerVerify} {
		v, err := c.Get(ctx, m).Result()
		if err == goredis.Nil {
			continue
		}
		if err != nil {
			return false, err
		}
		_, ts, _ := strings.Cut(v, " ")
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || time.Since(time.Unix(sec, 0)) > staleAfter {
			return true, nil
		}
	}
	return false, nil
}

// reclaim empties a database a killed run left (a marker without a
// heartbeat for staleAfter) so that it can stage again; it says whether it
// did.
func (s *Source) reclaim(ctx context.Context, c *goredis.Client) bool {
	if old, err := staleMarker(ctx, c); err != nil || !old {
		return false
	}
	return c.FlushDB(ctx).Err() == nil
}

// stale says whether the database of c is a killed run's leftover, and
// closes c.
func stale(ctx context.Context, c *goredis.Client) bool {
	defer c.Close()
	old, err := staleMarker(ctx, c)
	return err == nil && old
}
