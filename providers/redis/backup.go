package redis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/velinhq/velin/providers/provider"
)

// infoPath is the entry that describes the snapshot (written last).
const infoPath = "info.json"

// info is the content of infoPath.
type info struct {
	Format        int      `json:"format"`
	ServerVersion string   `json:"server_version"`
	EndUnixMS     int64    `json:"end_unix_ms"` // when the last database was copied
	Databases     []infoDB `json:"databases"`
}

// infoDB is one database entry of the snapshot.
type infoDB struct {
	DB    int    `json:"db"`
	Entry string `json:"entry"`
	Keys  int64  `json:"keys"` // records in the entry
}

func entryName(db int) string { return "db" + strconv.Itoa(db) + ".rdbdump" }

// Inspect implements provider.Source: reachable, version, keys per
// database (INFO keyspace) and memory used, without reading any key.
func (s *Source) Inspect(ctx context.Context) (provider.Facts, error) {
	st, err := s.status(ctx, s.srv)
	if err != nil {
		return provider.Facts{}, fmt.Errorf("inspect redis %s: %w", s.identity(), err)
	}
	f := s.facts(st.version)
	dbs, skipped, err := s.selected(ctx, st)
	if err != nil {
		return provider.Facts{}, fmt.Errorf("inspect redis %s: %w", s.identity(), err)
	}
	f.Skipped = skipped
	for _, db := range dbs {
		f.Rows += st.keys[db]
		f.Details["db"+strconv.Itoa(db)] = keysText(st.keys[db])
	}
	f.Files = int64(len(dbs)) + 1
	if st.memory != "" {
		f.Details["used_memory"] = st.memory
	}
	return f, nil
}

func (s *Source) facts(version string) provider.Facts {
	return provider.Facts{Type: TypeName, Identity: s.identity(), ServerVersion: "redis " + version,
		Details: map[string]string{"client": "go-redis " + goredis.Version()}}
}

// selected lists the databases a backup copies: the configured one, or
// every database INFO keyspace lists except those a velin restore or test
// restore is staging in (they hold a marker), which are skipped.
func (s *Source) selected(ctx context.Context, st status) ([]int, []provider.Problem, error) {
	if s.db != AllDBs {
		return []int{s.db}, nil, nil
	}
	var all []int
	for db := range st.keys {
		all = append(all, db)
	}
	sort.Ints(all)
	var dbs []int
	var skipped []provider.Problem
	for _, db := range all {
		c := s.client(s.srv, db)
		n, err := c.Exists(ctx, markerRestore, markerVerify).Result()
		c.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("db %d: %w", db, err)
		}
		if n > 0 {
			skipped = append(skipped, provider.Problem{Path: entryName(db), Op: "skip",
				Err: "velin is staging a restore or test restore in this database"})
			continue
		}
		dbs = append(dbs, db)
	}
	return dbs, skipped, nil
}

// Backup implements provider.Source: each database is copied key by key
// (SCAN, then DUMP and PTTL pipelined per batch) into its own entry, then
// info.json is stored. Any error fails the backup.
func (s *Source) Backup(ctx context.Context, sink provider.Sink, opts provider.BackupOptions) (provider.Facts, error) {
	st, err := s.status(ctx, s.srv)
	if err != nil {
		return provider.Facts{}, fmt.Errorf("backup redis %s: %w", s.identity(), err)
	}
	f := s.facts(st.version)
	inf := info{Format: 1, ServerVersion: st.version}
	dbs, skipped, err := s.selected(ctx, st)
	if err != nil {
		return provider.Facts{}, fmt.Errorf("backup redis %s: %w", s.identity(), err)
	}
	f.Skipped = skipped
	for _, db := range dbs {
		n, size, err := s.backupDB(ctx, sink, db)
		if err != nil {
			return provider.Facts{}, fmt.Errorf("backup redis %s db %d: %w", s.identity(), db, err)
		}
		inf.Databases = append(inf.Databases, infoDB{DB: db, Entry: entryName(db), Keys: n})
		f.Rows += n
		f.Bytes += size
		f.Files++
		f.Details["db"+strconv.Itoa(db)] = keysText(n)
	}
	inf.EndUnixMS = time.Now().UnixMilli()
	data, err := json.MarshalIndent(inf, "", "  ")
	if err != nil {
		return provider.Facts{}, fmt.Errorf("backup redis: %w", err)
	}
	e := provider.Entry{Path: infoPath, Kind: provider.KindFile, Mode: 0o600, ModTime: time.Now(), Size: int64(len(data))}
	if err := sink.Put(ctx, e, bytes.NewReader(data)); err != nil {
		return provider.Facts{}, fmt.Errorf("backup redis %s: %w", s.identity(), err)
	}
	f.Files++
	f.Bytes += e.Size
	return f, nil
}

// backupDB streams one database through a pipe into the sink, and returns
// the records and bytes written.
func (s *Source) backupDB(ctx context.Context, sink provider.Sink, db int) (int64, int64, error) {
	c := s.client(s.srv, db)
	defer c.Close()
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := s.dump(ctx, c, pw)
		pw.CloseWithError(err) // nil: the reader sees EOF
		done <- result{n, err}
	}()
	cr := &countReader{r: pr}
	e := provider.Entry{Path: entryName(db), Kind: provider.KindFile, Mode: 0o600, ModTime: time.Now(),
		Size: provider.SizeUnknown, Meta: map[string]string{"db": strconv.Itoa(db), "format": "1"}}
	putErr := sink.Put(ctx, e, cr)
	pr.CloseWithError(errStopped) // unblocks the producer when Put stopped early
	cancel()
	res := <-done
	switch {
	case parent.Err() != nil:
		// Cancelled: whatever was read is not a whole database, and a
		// command cut short may have failed as a closed connection (EOF).
		return 0, 0, parent.Err()
	case res.err != nil && !errors.Is(res.err, errStopped) && !errors.Is(res.err, context.Canceled):
		return 0, 0, res.err // the cause of Put's failure
	case putErr != nil:
		return 0, 0, putErr
	case res.err != nil:
		return 0, 0, res.err
	}
	return res.n, cr.n, nil
}

var errStopped = errors.New("backup stopped")

// dump writes the record stream of the database c is connected to. The
// next SCAN runs while a batch is dumped (one batch ahead), so the two
// round trips overlap.
func (s *Source) dump(ctx context.Context, c *goredis.Client, w io.Writer) (int64, error) {
	rw, err := newRecordWriter(w)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []string, 1)
	scanErr := make(chan error, 1)
	go func() {
		defer close(batches)
		scanErr <- s.scan(ctx, c, batches)
	}()
	for keys := range batches {
		if err := s.dumpBatch(ctx, c, rw, keys); err != nil {
			cancel()
			for range batches {
			}
			return 0, err
		}
	}
	if err := <-scanErr; err != nil {
		return 0, err
	}
	return rw.n, rw.close()
}

// scan sends the keys of each SCAN reply to out until the cursor is 0.
func (s *Source) scan(ctx context.Context, c *goredis.Client, out chan<- []string) error {
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, "", s.batchKeys).Result()
		if err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		select {
		case out <- keys:
		case <-ctx.Done():
			return ctx.Err()
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

// dumpBatch reads DUMP and PTTL of keys in one pipeline, in key order.
// A key deleted or expired meanwhile is left out.
func (s *Source) dumpBatch(ctx context.Context, c *goredis.Client, rw *recordWriter, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	sort.Strings(keys)
	pipe := c.Pipeline()
	dumps := make([]*goredis.Cmd, len(keys))
	ttls := make([]*goredis.Cmd, len(keys))
	for i, k := range keys {
		dumps[i] = pipe.Do(ctx, "DUMP", k)
		ttls[i] = pipe.Do(ctx, "PTTL", k)
	}
	now := time.Now().UnixMilli() // before the server runs them: expiries err early
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
		return fmt.Errorf("dump: %w", err)
	}
	for i, k := range keys {
		payload, err := dumps[i].Text()
		if errors.Is(err, goredis.Nil) {
			continue // deleted since SCAN
		}
		if err != nil {
			return fmt.Errorf("dump: %w", err)
		}
		pttl, err := ttls[i].Int64()
		if err != nil {
			return fmt.Errorf("pttl: %w", err)
		}
		r := record{Key: []byte(k), Payload: []byte(payload)}
		switch {
		case pttl == -2:
			continue // deleted or expired between DUMP and PTTL
		case pttl >= 0:
			r.ExpireAt = now + pttl
		}
		if err := rw.add(r); err != nil {
			return err
		}
	}
	return nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func keysText(n int64) string {
	if n == 1 {
		return "1 key"
	}
	return fmt.Sprintf("%d keys", n)
}
