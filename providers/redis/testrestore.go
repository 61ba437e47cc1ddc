package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/velinhq/velin/providers/provider"
)

// CheckAssert implements provider.Asserter: a redis assert counts the
// keys matching a pattern (keys, SCAN MATCH syntax); at least min_count
// (default 1) must match. SQL is refused.
func (s *Source) CheckAssert(a provider.Assert) error {
	switch {
	case a.SQL != "":
		return fmt.Errorf("assert %q: a redis source takes keys = \"pattern\" (with min_count), not sql", a.Name)
	case a.Keys == "":
		return fmt.Errorf("assert %q: give keys = \"pattern\" (SCAN MATCH syntax, e.g. \"session:*\"), and min_count if at least 1 is not enough", a.Name)
	case a.MinCount < 0:
		return fmt.Errorf("assert %q: min_count %d is negative", a.Name, a.MinCount)
	}
	return nil
}

// testServer is where test restores go: test_restore_addr (with the
// source's credentials unless its URL gives its own) or the source's own
// server. The URL's database number, if any, is the scratch database.
func (s *Source) testServer() (Server, bool) {
	if s.testAddr == "" {
		return s.srv, false
	}
	srv, _, err := ParseAddr(s.testAddr)
	if err != nil {
		return s.srv, false
	}
	if srv.Username == "" && srv.Password == "" {
		srv.Username, srv.Password = s.srv.Username, s.srv.Password
	}
	srv.TLS = srv.TLS || s.srv.TLS
	srv.TLSOpts = s.srv.TLSOpts
	return srv, true
}

// TestRestore implements provider.Source: each database of the snapshot
// is restored in turn into one scratch database (an empty number of
// test_restore_addr or of the source's server, marked velin:verify),
// its keys are counted and the asserts' patterns matched, and it is
// emptied again, also when anything fails.
func (s *Source) TestRestore(ctx context.Context, tree provider.Tree, opts provider.TestRestoreOptions) (provider.TestReport, error) {
	var rep provider.TestReport
	snap, err := readSnapshot(ctx, tree)
	if err != nil {
		return rep, fmt.Errorf("test restore redis: %w", err)
	}
	srv, other := s.testServer()
	exclude := map[int]bool{}
	if !other {
		for db := range snap.entries {
			exclude[db] = true
		}
		if s.db != AllDBs {
			exclude[s.db] = true
		}
	}
	id := opts.ID
	if id == "" {
		id = newID()
	}
	sc, err := s.claimScratch(ctx, srv, exclude, markerVerify, id)
	if err != nil {
		return rep, fmt.Errorf("test restore redis: %w", err)
	}
	defer sc.release()
	rep.Counts = treeCounts(ctx, tree)
	matched := make([]int64, len(opts.Asserts))
	for _, d := range snap.info.Databases {
		start := time.Now()
		st, err := s.load(ctx, tree, snap, d.DB, sc)
		if err != nil {
			return rep, fmt.Errorf("test restore redis db %d: %w", d.DB, err)
		}
		rep.Counts.Rows += st.records
		size, err := sc.c.DBSize(ctx).Result()
		if err != nil {
			return rep, fmt.Errorf("test restore redis db %d: %w", d.DB, err)
		}
		rep.Checks = append(rep.Checks, countCheck(d, st, size-1, time.Since(start)))
		for i, a := range opts.Asserts {
			n, err := countMatches(ctx, sc, a.Keys)
			if err != nil {
				return rep, fmt.Errorf("test restore redis: assert %s: %w", a.Name, err)
			}
			matched[i] += n
		}
		if err := empty(ctx, sc); err != nil {
			return rep, fmt.Errorf("test restore redis: %w", err)
		}
	}
	for i, a := range opts.Asserts {
		rep.Checks = append(rep.Checks, assertCheck(a, matched[i]))
	}
	return rep, nil
}

// treeCounts counts the tree's files and bytes as the backup did.
func treeCounts(ctx context.Context, tree provider.Tree) provider.Counts {
	var c provider.Counts
	_ = tree.Walk(ctx, func(e provider.Entry) error {
		if e.Kind == provider.KindFile {
			c.Files++
			c.Bytes += e.Size
		}
		return nil
	})
	return c
}

// countCheck compares what loading found with info.json: every record
// read, and the database holding the restored keys, less at most those
// with a TTL (which may expire meanwhile), more never.
func countCheck(d infoDB, st loadStats, size int64, took time.Duration) provider.CheckResult {
	c := provider.CheckResult{Name: fmt.Sprintf("keys db%d", d.DB), Kind: "count", DurationMS: took.Milliseconds()}
	c.Passed = st.records == d.Keys && size <= st.restored && size >= st.restored-st.expiring
	c.Detail = fmt.Sprintf("%s (snapshot: %s", keysText(size), keysText(d.Keys))
	if skipped := st.records - st.restored; skipped > 0 {
		c.Detail += fmt.Sprintf(", %d expired before the backup ended", skipped)
	}
	c.Detail += ")"
	if st.records != d.Keys {
		c.Detail += fmt.Sprintf("; the dump holds %d records", st.records)
	}
	return c
}

func assertCheck(a provider.Assert, n int64) provider.CheckResult {
	min := a.MinCount
	if min <= 0 {
		min = 1
	}
	return provider.CheckResult{Name: "assert " + a.Name, Kind: "assert", Passed: n >= min,
		Detail: fmt.Sprintf("%s match %q (at least %d wanted)", keysText(n), a.Keys, min)}
}

// countMatches counts the keys matching pattern, the marker left out.
func countMatches(ctx context.Context, sc *scratch, pattern string) (int64, error) {
	var n int64
	var cursor uint64
	for {
		keys, next, err := sc.c.Scan(ctx, cursor, pattern, 1000).Result()
		if err != nil {
			return 0, err
		}
		for _, k := range keys {
			if k != sc.marker {
				n++
			}
		}
		if cursor = next; cursor == 0 {
			return n, nil
		}
	}
}

// empty flushes the scratch database and sets its marker again.
func empty(ctx context.Context, sc *scratch) error {
	_, err := sc.c.TxPipelined(ctx, func(pipe goredis.Pipeliner) error {
		pipe.FlushDB(ctx)
		sc.heartbeat(ctx, pipe)
		return nil
	})
	if err != nil {
		return errors.Join(fmt.Errorf("empty scratch database %d", sc.db), err)
	}
	return nil
}
