package redis

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/velinhq/velin/engine/repo/snaptest"
	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

func connect(t testing.TB, o *goredis.Options) *goredis.Client {
	t.Helper()
	c := goredis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fill writes every kind of value the round trip must keep.
func fill(t testing.TB, c *goredis.Client) {
	ctx := context.Background()
	for i := range 2500 {
		must(t, c.Set(ctx, fmt.Sprintf("user:%d", i), fmt.Sprintf("name-%d-é", i), 0).Err())
	}
	fields := make([]any, 0, 40000)
	for i := range 20000 {
		fields = append(fields, fmt.Sprintf("f%d", i), fmt.Sprintf("v%d", i))
	}
	must(t, c.HSet(ctx, "big:hash", fields...).Err())
	must(t, c.RPush(ctx, "list", "a", "b", "c", "a").Err())
	must(t, c.SAdd(ctx, "set", "x", "y", "z").Err())
	must(t, c.ZAdd(ctx, "zset", goredis.Z{Score: 1.5, Member: "one"}, goredis.Z{Score: -2, Member: "two"}).Err())
	must(t, c.XAdd(ctx, &goredis.XAddArgs{Stream: "stream", Values: []any{"k", "v"}}).Err())
	must(t, c.XAdd(ctx, &goredis.XAddArgs{Stream: "stream", Values: []any{"k2", "v2"}}).Err())
	must(t, c.XGroupCreate(ctx, "stream", "workers", "0").Err())
	must(t, c.PFAdd(ctx, "hll", "a", "b", "c", "d").Err())
	must(t, c.Set(ctx, "bin\x00key\xff", "val\x00\x01\xfe\xff", 0).Err())
	must(t, c.Set(ctx, "", "empty key", 0).Err())
	must(t, c.Set(ctx, "session:1", "s", time.Hour).Err())
	must(t, c.HSet(ctx, "session:2", "a", "b").Err())
	must(t, c.PExpire(ctx, "session:2", 90*time.Minute).Err())
}

// content is every key with its DUMP payload and PTTL.
type content map[string]struct {
	dump string
	pttl int64
}

func capture(t testing.TB, c *goredis.Client) content {
	t.Helper()
	ctx := context.Background()
	out := content{}
	iter := c.Scan(ctx, 0, "", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		d := canonical(t, c, k)
		p, err := c.Do(ctx, "PTTL", k).Int64()
		must(t, err)
		out[k] = struct {
			dump string
			pttl int64
		}{d, p}
	}
	must(t, iter.Err())
	return out
}

// canonical is a key's value as text: the DUMP payload, except for the
// hash table encodings (big hashes, sets) whose DUMP follows the table's
// order, which a reload changes.
func canonical(t testing.TB, c *goredis.Client, k string) string {
	ctx := context.Background()
	typ, err := c.Type(ctx, k).Result()
	must(t, err)
	var items []string
	switch typ {
	case "hash":
		m, err := c.HGetAll(ctx, k).Result()
		must(t, err)
		for f, v := range m {
			items = append(items, f+"="+v)
		}
	case "set":
		items, err = c.SMembers(ctx, k).Result()
		must(t, err)
	default:
		d, err := c.Dump(ctx, k).Result()
		must(t, err)
		return d
	}
	sort.Strings(items)
	return typ + ":" + strings.Join(items, "\x00")
}

// compare fails t unless got holds want's keys and values, TTLs within a
// minute below want's.
func compare(t testing.TB, got, want content) {
	t.Helper()
	var diffs []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%q missing", k))
		case g.dump != w.dump:
			diffs = append(diffs, fmt.Sprintf("%q differs", k))
		case (w.pttl < 0) != (g.pttl < 0) || g.pttl > w.pttl+1000 || g.pttl < w.pttl-60000:
			diffs = append(diffs, fmt.Sprintf("%q pttl %d, want about %d", k, g.pttl, w.pttl))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%q not expected", k))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%d differences (%d keys, want %d): %.600s", len(diffs), len(got), len(want), strings.Join(diffs, "; "))
	}
}

func dbURL(o *goredis.Options) string { return fmt.Sprintf("redis://%s/%d", o.Addr, o.DB) }

// optsAt parses a redis:// URL as Capture's checker gets it.
func optsAt(t testing.TB, at string) *goredis.Options {
	o, err := goredis.ParseURL(at)
	must(t, err)
	return o
}

func setup(t testing.TB) sourcetest.Fixture {
	live := dbtest.Redis(t)
	scratchDB := dbtest.Redis(t)
	c := connect(t, live)
	fill(t, c)
	src := New(Server{Addr: live.Addr}, Options{DB: live.DB, ScratchDB: scratchDB.DB, Flush: true})
	return sourcetest.Fixture{
		Source: src,
		Live:   dbURL(live),
		Spec:   fmt.Sprintf("%s %d", dbURL(live), scratchDB.DB),
		Dest: func(string) (string, string) {
			u := dbURL(dbtest.Redis(t))
			return u, u
		},
		Mutate: func(t testing.TB) []string {
			ctx := context.Background()
			must(t, c.Set(ctx, "user:1", "changed", 0).Err())
			must(t, c.Del(ctx, "user:2", "big:hash").Err())
			must(t, c.Set(ctx, "late", "added after the backup", 0).Err())
			return []string{fmt.Sprintf("db%d", live.DB)}
		},
		Capture: func(t testing.TB) func(testing.TB, string) {
			want := capture(t, c)
			return func(t testing.TB, at string) {
				t.Helper()
				compare(t, capture(t, connect(t, optsAt(t, at))), want)
			}
		},
	}
}

func harness(snap func(testing.TB, provider.Tree) (provider.Sink, func() provider.Tree)) sourcetest.Harness {
	h := sourcetest.Harness{Setup: setup, NewSnapshot: snap}
	h.Asserts.True = provider.Assert{Name: "users", Keys: "user:*", MinCount: 2500}
	h.Asserts.False = provider.Assert{Name: "orders", Keys: "order:*"}
	return h
}

func TestSuite(t *testing.T) {
	sourcetest.Run(t, harness(nil))
}

// TestSuiteRealRepository runs the suite against the engine's repository.
func TestSuiteRealRepository(t *testing.T) {
	h := harness(snaptest.Snapshots(t))
	h.Kill = &sourcetest.Kill{
		Repo: snaptest.Shared,
		Reopen: func(t testing.TB, spec, _ string) provider.Source {
			live, scr := fromSpec(t, spec)
			return New(Server{Addr: live.Addr}, Options{DB: live.DB, ScratchDB: scr, Flush: true})
		},
		Leftovers: func(t testing.TB, fx sourcetest.Fixture) []string {
			live, scr := fromSpec(t, fx.Spec)
			live.DB = scr
			if connect(t, live).Exists(context.Background(), markerRestore, markerVerify).Val() == 0 {
				return nil
			}
			return []string{fmt.Sprint(scr)}
		},
		// A scratch database is a killed run's once its heartbeat is
		// staleAfter old: make it so.
		Age: func(t testing.TB, fx sourcetest.Fixture, _ []string) {
			live, scr := fromSpec(t, fx.Spec)
			live.DB = scr
			c := connect(t, live)
			for _, m := range []string{markerRestore, markerVerify} {
				if v, err := c.Get(context.Background(), m).Result(); err == nil {
					id, _, _ := strings.Cut(v, " ")
					must(t, c.Set(context.Background(), m, id+" 1000", 0).Err())
				}
			}
		},
	}
	sourcetest.Run(t, h)
}

// fromSpec parses a Fixture.Spec: the live database's URL and the
// scratch database's number.
func fromSpec(t testing.TB, spec string) (*goredis.Options, int) {
	u, n, _ := strings.Cut(spec, " ")
	scr, err := strconv.Atoi(n)
	must(t, err)
	return optsAt(t, u), scr
}
