package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/velinhq/velin/providers/dbtest"
)

const redisPlan = `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "redis" "cache" {
  addr       = "redis://%s/%d"
  username   = %q
  password   = env("REDIS_PASSWORD")
  scratch_db = %d
  flush      = true
}
backup "nightly" {
  sources = [source.redis.cache]
  target  = target.local.disk
}
`

func redisProject(t *testing.T, live, scratch *goredis.Options, user, password string) *project {
	p := newProject(t, fmt.Sprintf(redisPlan, live.Addr, live.DB, user, scratch.DB))
	p.env = append(p.env, "REDIS_PASSWORD="+password)
	return p
}

func redisClient(t *testing.T, o *goredis.Options) *goredis.Client {
	c := goredis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// aclUser creates a Redis user with a password for the test.
func aclUser(t *testing.T, admin *goredis.Client, password string) string {
	user := fmt.Sprintf("velin_e2e_%d", os.Getpid())
	ctx := context.Background()
	if err := admin.Do(ctx, "ACL", "SETUSER", user, "reset", "on", ">"+password, "~*", "+@all").Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Do(context.Background(), "ACL", "DELUSER", user) })
	return user
}

func TestRedisBackupRestore(t *testing.T) {
	live, scratch, other := dbtest.Redis(t), dbtest.Redis(t), dbtest.Redis(t)
	c := redisClient(t, live)
	ctx := context.Background()
	const password = "redis-e2e-password-7731"
	user := aclUser(t, c, password)
	for i := range 300 {
		c.Set(ctx, fmt.Sprintf("user:%d", i), i, 0)
	}
	c.HSet(ctx, "h", "a", "b")
	p := redisProject(t, live, scratch, user, password)

	r := p.must("plan")
	if !strings.Contains(r.stdout, "redis 7") || !strings.Contains(r.stdout, "301") {
		t.Errorf("plan does not show the server version and keys:\n%s", r.stdout)
	}
	p.must("backup", "create")
	snaps := p.snapshots()
	if len(snaps) != 1 || snaps[0].Sources[0].Rows != 301 {
		t.Fatalf("snapshots %+v, want one with 301 keys", snaps)
	}
	c.Set(ctx, "user:1", "changed", 0)
	c.Set(ctx, "extra", "x", 0)
	r = p.must("backup", "restore", "latest", "--source", "redis.cache", "--dry-run")
	if !strings.Contains(r.stdout, "snapshot: 301 keys; now: 302 keys") {
		t.Errorf("restore plan does not compare keys:\n%s", r.stdout)
	}
	p.must("backup", "restore", "latest", "--source", "redis.cache", "--yes")
	if v := c.Get(ctx, "user:1").Val(); v != "1" || c.Exists(ctx, "extra").Val() != 0 || c.DBSize(ctx).Val() != 301 {
		t.Errorf("after restore with flush: user:1=%q, %d keys", v, c.DBSize(ctx).Val())
	}

	to := fmt.Sprintf("redis://%s:%s@%s/%d", user, password, other.Addr, other.DB)
	r = p.must("backup", "restore", "latest", "--source", "redis.cache", "--to", to, "--yes", "--json")
	if n := redisClient(t, other).DBSize(ctx).Val(); n != 301 {
		t.Errorf("--to restored %d keys into db %d, want 301", n, other.DB)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if strings.Contains(out, password) {
			t.Errorf("the password shows in the output of a restore --to:\n%s", out)
		}
	}
	r = p.run("backup", "restore", "latest", "--source", "redis.cache", "--database", "99", "--dry-run")
	if !strings.Contains(r.stdout+r.stderr, fmt.Sprintf(`the snapshot holds no database "99"; it holds db%d`, live.DB)) {
		t.Errorf("restore --database of a database the snapshot lacks: %s", r)
	}
	c.Set(ctx, "user:2", "changed", 0)
	p.must("backup", "restore", "latest", "--source", "redis.cache", "--database", fmt.Sprint(live.DB), "--yes")
	if v := c.Get(ctx, "user:2").Val(); v != "2" {
		t.Errorf("restore --database %d: user:2=%q", live.DB, v)
	}
	for _, args := range [][]string{{"backup", "list", "--json"}, {"plan", "--json"}, {"backup", "inspect", "latest", "--json"}} {
		if r := p.run(args...); strings.Contains(r.stdout+r.stderr, password) {
			t.Errorf("velin %s shows the password", strings.Join(args, " "))
		}
	}
	if hits := grepTree(t, p.dir, password); len(hits) > 0 {
		t.Errorf("the password is stored in %v", hits)
	}
}

func TestRedisPlanFaults(t *testing.T) {
	live, scratch := dbtest.Redis(t), dbtest.Redis(t)
	c := redisClient(t, live)
	user := aclUser(t, c, "the-right-password-1")
	const wrong = "a-wrong-password-2468"
	p := redisProject(t, live, scratch, user, wrong)
	r := p.run("plan")
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "refused the credentials") ||
		!strings.Contains(r.stdout+r.stderr, "redis.cache") {
		t.Errorf("plan with a wrong password: %s", r)
	}
	if strings.Contains(r.stdout+r.stderr, wrong) {
		t.Errorf("the wrong password shows in the output: %s", r)
	}
	if r := p.run("backup", "create"); r.code == 0 || len(p.snapshotsOrNone()) != 0 {
		t.Errorf("backup with a wrong password: %s", r)
	}

	p = newProject(t, strings.Replace(fmt.Sprintf(redisPlan, "127.0.0.1:1", 0, "", 1), `password   = env("REDIS_PASSWORD")`, "", 1))
	r = p.run("plan")
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "cannot reach 127.0.0.1:1") {
		t.Errorf("plan of an unreachable server: %s", r)
	}
}

// snapshotsOrNone lists snapshots, none when there is no repository yet.
func (p *project) snapshotsOrNone() []listed {
	if r := p.run("backup", "list", "--json"); r.code != 0 {
		return nil
	}
	return p.snapshots()
}

// TestRedisRestoreBlockFlush: a restore block's flush = false overrides
// the source's flush = true: keys the snapshot lacks stay.
func TestRedisRestoreBlockFlush(t *testing.T) {
	live, scratch := dbtest.Redis(t), dbtest.Redis(t)
	c := redisClient(t, live)
	ctx := context.Background()
	const password = "redis-e2e-password-5512"
	user := aclUser(t, c, password)
	c.Set(ctx, "a", "1", 0)
	p := redisProject(t, live, scratch, user, password)
	p.write("velin.hcl", fmt.Sprintf(redisPlan, live.Addr, live.DB, user, scratch.DB)+`
restore "keep" {
  from  = backup.nightly
  flush = false
}
`)
	p.must("backup", "create")
	c.Set(ctx, "a", "changed", 0)
	c.Set(ctx, "extra", "x", 0)
	r := p.must("plan", "-restore", "keep")
	if !strings.Contains(r.stdout, "merge (flush = false)") {
		t.Errorf("plan -restore keep does not say it merges:\n%s", r.stdout)
	}
	p.must("apply", "-restore", "keep", "-auto-approve")
	if a, extra := c.Get(ctx, "a").Val(), c.Get(ctx, "extra").Val(); a != "1" || extra != "x" {
		t.Errorf("after a merging restore: a=%q extra=%q, want 1 and x", a, extra)
	}
}

// redisAssertPlan backs up one database with a keys assertion.
func redisAssertPlan(live, scratch *goredis.Options, keys string, min int) string {
	return fmt.Sprintf(`
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "redis" "cache" {
  addr       = "redis://%s/%d"
  scratch_db = %d
}
backup "nightly" {
  sources = [source.redis.cache]
  target  = target.local.disk
  verify {
    test_restore = true
    assert "users" {
      source    = source.redis.cache
      keys      = %q
      min_count = %d
    }
  }
}
`, live.Addr, live.DB, scratch.DB, keys, min)
}

// The test restore of a redis source counts keys and runs a keys assert:
// it passes (exit 0), then fails (exit 4, not verified); a scratch
// database a killed test restore left (stale marker) is emptied first.
func TestRedisAssert(t *testing.T) {
	live, scratch, leftover := dbtest.Redis(t), dbtest.Redis(t), dbtest.Redis(t)
	c := redisClient(t, live)
	ctx := context.Background()
	for i := range 50 {
		c.Set(ctx, fmt.Sprintf("user:%d", i), i, 0)
	}
	lc := redisClient(t, leftover)
	lc.Set(ctx, "velin:verify", "killed 1000", 0)
	lc.Set(ctx, "restored", "x", 0)
	p := newProject(t, redisAssertPlan(live, scratch, "user:*", 50))
	r := p.must("backup", "create")
	wantIn(t, "backup create", r.stdout, "ok     assert users: 50 keys match", "1 assertion(s) passed")
	if n := lc.DBSize(ctx).Val(); n != 0 {
		t.Errorf("the leftover test-restore database holds %d keys", n)
	}
	if n := redisClient(t, scratch).DBSize(ctx).Val(); n != 0 {
		t.Errorf("the scratch database holds %d keys after the test restore", n)
	}
	p.write("velin.hcl", redisAssertPlan(live, scratch, "user:*", 51))
	r = p.run("backup", "create")
	if r.code != 4 {
		t.Fatalf("a failed keys assertion: want exit 4: %s", r)
	}
	wantIn(t, "backup create", r.stdout, "NOT VERIFIED", "FAILED assert users: 50 keys match")
}
