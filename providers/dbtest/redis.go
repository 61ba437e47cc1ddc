package dbtest

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisAdmin is the server URL (VELIN_TEST_REDIS), redis://[user:password@]host:port.
func RedisAdmin() string { return env("VELIN_TEST_REDIS", "redis://127.0.0.1:6379") }

// claimTTL bounds how long a killed test keeps a database number claimed.
const claimTTL = 15 * time.Minute

// Redis claims a database number (1..15) no other test uses, empties it,
// and returns the server's options with DB set to it. The number is
// emptied and released when t ends. Claims live in database 0 as keys
// "velin:test:claim:<n>" with a TTL, so that tests of several packages
// running at once never share a number.
func Redis(t testing.TB) *redis.Options {
	t.Helper()
	opts, err := redis.ParseURL(RedisAdmin())
	if err != nil {
		t.Fatalf("dbtest: VELIN_TEST_REDIS: %v", err)
	}
	c, cancel := ctx()
	defer cancel()
	admin := redis.NewClient(withDB(opts, 0))
	defer admin.Close()
	if err := admin.Ping(c).Err(); err != nil {
		unavailable(t, "Redis", "VELIN_TEST_REDIS", "sudo service redis-server start", err)
	}
	owner := fmt.Sprintf("%s pid %d", t.Name(), os.Getpid())
	for n := 1; n < 16; n++ {
		key := fmt.Sprintf("velin:test:claim:%d", n)
		ok, err := admin.SetNX(c, key, owner, claimTTL).Result()
		if err != nil {
			t.Fatalf("dbtest: claim redis db %d: %v", n, err)
		}
		if !ok {
			continue
		}
		o := withDB(opts, n)
		flush(t, o)
		t.Cleanup(func() {
			flush(t, o)
			c, cancel := ctx()
			defer cancel()
			a := redis.NewClient(withDB(opts, 0))
			defer a.Close()
			a.Del(c, key)
		})
		return o
	}
	t.Fatal("dbtest: every redis database 1..15 is claimed by other tests (keys velin:test:claim:* in db 0)")
	return nil
}

func withDB(o *redis.Options, n int) *redis.Options {
	c := *o
	c.DB = n
	return &c
}

func flush(t testing.TB, o *redis.Options) {
	t.Helper()
	c, cancel := ctx()
	defer cancel()
	cl := redis.NewClient(o)
	defer cl.Close()
	if err := cl.FlushDB(c).Err(); err != nil {
		t.Errorf("dbtest: flush redis db %d: %v", o.DB, err)
	}
}
