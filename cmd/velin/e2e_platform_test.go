package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"

	"github.com/velinhq/velin/engine/storage/s3/s3test"
	"github.com/velinhq/velin/providers/dbtest"
)

const maintenanceToken = "maintenance-token-e2e-4417"

// maintenance is the platform's maintenance switch: an HTTP endpoint that
// records each switch ("on", "off") in order.
type maintenance struct {
	mu       sync.Mutex
	switches []string
}

func newMaintenance(t *testing.T) (*maintenance, string) {
	m := &maintenance{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Enabled *bool `json:"enabled"`
		}
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer "+maintenanceToken ||
			json.NewDecoder(r.Body).Decode(&body) != nil || body.Enabled == nil {
			http.Error(w, "bad maintenance request", http.StatusBadRequest)
			return
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		m.switches = append(m.switches, map[bool]string{true: "on", false: "off"}[*body.Enabled])
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return m, srv.URL + "/api/admin/maintenance"
}

func (m *maintenance) got() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.switches, " ")
}

// platform is the three systems of plans/platform-postgres-minio-redis:
// a PostgreSQL database, three buckets (the last one an artifact bucket
// the plan excludes) and a Redis database.
type platform struct {
	t                  *testing.T
	dsn                string
	s3                 *awss3.Client
	srv                s3test.Server
	tpl, users, builds string
	redis              *goredis.Client
}

func newPlatform(t *testing.T) (*platform, *project, *maintenance) {
	dsn := dbtest.Postgres(t)
	srv, tpl := s3test.Bucket(t)
	_, users := s3test.Bucket(t)
	_, builds := s3test.Bucket(t)
	live, scratch := dbtest.Redis(t), dbtest.Redis(t)
	ctx := context.Background()
	pl := &platform{t: t, dsn: dsn, s3: srv.Client(), srv: srv, tpl: tpl, users: users, builds: builds,
		redis: redisClient(t, live)}
	pl.sql(`CREATE TABLE accounts (id serial PRIMARY KEY, name text);
		INSERT INTO accounts (name) SELECT 'account ' || g FROM generate_series(1, 300) g;
		CREATE TABLE task_runs (id serial PRIMARY KEY, state text);
		INSERT INTO task_runs (state) SELECT 'done' FROM generate_series(1, 5);
		CREATE TABLE job_queue (id int);
		INSERT INTO job_queue VALUES (1), (2);`)
	pl.put(tpl, "page.html", "<h1>welcome</h1>")
	pl.put(tpl, "emails/welcome.txt", "hello")
	pl.put(users, "u1/avatar.png", strings.Repeat("png", 1000))
	pl.put(builds, "build-1.tar", "artifact 1")
	for i := range 50 {
		pl.redis.Set(ctx, fmt.Sprintf("session:%d", i), i, 0)
	}
	pl.redis.HSet(ctx, "settings", "theme", "dark")

	m, switchURL := newMaintenance(t)
	p := newProject(t, planFile(t, "platform-postgres-minio-redis.velin.hcl"))
	p.write("vars.hcl", fmt.Sprintf(`s3_endpoint = %q
buckets = [%q, %q, %q]
artifact_buckets = [%q]
redis_url = "redis://%s/%d"
redis_scratch_db = %d
maintenance_url = %q
repo_dir = %q
`, srv.Endpoint, tpl, users, builds, builds, live.Addr, live.DB, scratch.DB, switchURL, p.path("repo")))
	p.env = append(p.env, "VELIN_VAR_database_url="+dsn, "VELIN_VAR_s3_access_key="+srv.AccessKey,
		"VELIN_VAR_s3_secret_key="+srv.SecretKey, "VELIN_VAR_maintenance_token="+maintenanceToken)
	return pl, p, m
}

// sql runs q on a connection of its own: the plan's restore terminates
// the other sessions of the database (terminate_connections).
func (pl *platform) sql(q string) {
	pl.t.Helper()
	conn, err := pgx.Connect(context.Background(), pl.dsn)
	if err != nil {
		pl.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	pgConnExec(pl.t, conn, q)
}

func (pl *platform) rows(table string) int {
	pl.t.Helper()
	conn, err := pgx.Connect(context.Background(), pl.dsn)
	if err != nil {
		pl.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	return pgCount(pl.t, conn, table)
}

func (pl *platform) put(bucket, key, content string) {
	pl.t.Helper()
	_, err := pl.s3.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: strings.NewReader(content), ContentLength: aws.Int64(int64(len(content)))})
	if err != nil {
		pl.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

// get is an object's content, "" when it does not exist.
func (pl *platform) get(bucket, key string) string {
	pl.t.Helper()
	out, err := pl.s3.GetObject(context.Background(), &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return ""
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		pl.t.Fatal(err)
	}
	return string(b)
}

func (pl *platform) del(bucket, key string) {
	pl.t.Helper()
	if _, err := pl.s3.DeleteObject(context.Background(), &awss3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		pl.t.Fatal(err)
	}
}

// change changes all three systems after the backup.
func (pl *platform) change() {
	ctx := context.Background()
	pl.sql(`DELETE FROM accounts WHERE id > 100; INSERT INTO task_runs (state) VALUES ('queued')`)
	pl.put(pl.tpl, "page.html", "<h1>defaced</h1>")
	pl.put(pl.tpl, "stray.txt", "not in the snapshot")
	pl.del(pl.users, "u1/avatar.png")
	pl.put(pl.builds, "build-2.tar", "artifact 2")
	pl.redis.Set(ctx, "session:1", "hijacked", 0)
	pl.redis.Del(ctx, "session:2")
	pl.redis.Set(ctx, "intruder", "x", 0)
}

// showSources is what `backup show --json` says of each source.
type showSources struct {
	ID      string `json:"id"`
	Sources []struct {
		Key           string `json:"key"`
		ServerVersion string `json:"server_version"`
		Files         int64  `json:"files"`
		Rows          int64  `json:"rows"`
	} `json:"sources"`
}

// TestPlanPlatform runs plans/platform-postgres-minio-redis.velin.hcl end
// to end against the real PostgreSQL, MinIO and Redis: one snapshot of
// all three taken in maintenance mode, the restore plan listing what each
// system loses, and the restore replacing all three, maintenance on
// before and off after.
func TestPlanPlatform(t *testing.T) {
	pl, p, m := newPlatform(t)
	ctx := context.Background()
	p.must("apply", "-var-file", "vars.hcl", "-auto-approve")
	if got := m.got(); got != "on off" {
		t.Fatalf("maintenance switched %q around the backup, want \"on off\"", got)
	}
	var snaps []listed
	if r := p.must("backup", "list", "-var-file", "vars.hcl", "--json"); json.Unmarshal([]byte(r.stdout), &snaps) != nil {
		t.Fatalf("backup list --json: %s", r.stdout)
	}
	if len(snaps) != 1 || len(snaps[0].Sources) != 3 {
		t.Fatalf("want one snapshot of 3 sources: %+v", snaps)
	}
	var show showSources
	if r := p.must("backup", "show", snaps[0].ID, "-var-file", "vars.hcl", "--json"); json.Unmarshal([]byte(r.stdout), &show) != nil {
		t.Fatalf("backup show --json: %s", r.stdout)
	}
	versions := map[string]string{}
	for _, s := range show.Sources {
		versions[s.Key] = s.ServerVersion
		if s.Key == "s3.objects" && s.Files != 3 {
			t.Errorf("s3.objects holds %d objects, want 3 (the artifact bucket excluded)", s.Files)
		}
	}
	for key, prefix := range map[string]string{"postgres.platform": "postgresql ", "redis.platform": "redis ", "s3.objects": "MinIO"} {
		if !strings.HasPrefix(versions[key], prefix) {
			t.Errorf("%s: server_version %q, want %q…", key, versions[key], prefix)
		}
	}

	pl.change()
	r := p.must("plan", "-var-file", "vars.hcl", "-restore", "platform")
	wantIn(t, "plan -restore platform", r.stdout,
		"replace table public.accounts (snapshot: 300 rows; now: 100 rows)",
		"replace table public.task_runs (snapshot: no rows (structure only); now: 6 rows",
		"replace table public.job_queue (snapshot: no rows (structure only); now: 2 rows",
		"1 to delete",
		"- delete "+pl.tpl+"/stray.txt (now: 19 B; not in the snapshot",
		"~ replace "+pl.tpl+"/page.html (snapshot: 16 B; now: 16 B)",
		"bucket "+pl.users+" (snapshot: 1 objects, 3000 B; 1 created",
		"flush: the 51 keys there now are deleted")
	if strings.Contains(r.stdout, pl.builds) {
		t.Errorf("the restore plan touches the artifact bucket:\n%s", r.stdout)
	}
	pg, s3, rd := strings.Index(r.stdout, "restore source.postgres"), strings.Index(r.stdout, "restore source.s3"), strings.Index(r.stdout, "restore source.redis")
	if pg < 0 || !(pg < s3 && s3 < rd) {
		t.Errorf("restore plan not in the order postgres, buckets, redis:\n%s", r.stdout)
	}
	if got := m.got(); got != "on off" {
		t.Errorf("plan switched maintenance: %q", got)
	}

	p.must("apply", "-var-file", "vars.hcl", "-restore", "platform", "-auto-approve")
	if got := m.got(); got != "on off on off" {
		t.Errorf("maintenance switched %q, want \"on off on off\"", got)
	}
	if a, tr := pl.rows("accounts"), pl.rows("task_runs"); a != 300 || tr != 0 {
		t.Errorf("after the restore: accounts %d rows (want 300), task_runs %d (want 0: structure only)", a, tr)
	}
	if got := pl.get(pl.tpl, "page.html"); got != "<h1>welcome</h1>" {
		t.Errorf("page.html is %q after the restore", got)
	}
	if pl.get(pl.tpl, "stray.txt") != "" || pl.get(pl.users, "u1/avatar.png") == "" {
		t.Error("buckets not as in the snapshot: stray.txt kept or avatar.png missing")
	}
	if pl.get(pl.builds, "build-2.tar") != "artifact 2" {
		t.Error("the restore deleted from the excluded artifact bucket")
	}
	if v := pl.redis.Get(ctx, "session:1").Val(); v != "1" || pl.redis.Exists(ctx, "intruder").Val() != 0 ||
		pl.redis.Exists(ctx, "session:2").Val() != 1 || pl.redis.DBSize(ctx).Val() != 51 {
		t.Errorf("redis after the restore: session:1=%q, %d keys", v, pl.redis.DBSize(ctx).Val())
	}
	for _, secret := range []string{pl.srv.SecretKey, maintenanceToken} {
		if hits := grepTree(t, p.dir, secret); len(hits) > 0 {
			t.Errorf("a secret is stored in %v", hits)
		}
	}
}

// refusingWrites is a proxy in front of the S3 server that refuses every
// PUT with 403 AccessDenied (which no client retries): a bucket restore
// through it fails at its first write.
func refusingWrites(t *testing.T, endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			io.Copy(w, bytes.NewReader([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>writes refused by the test</Message></Error>`)))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestPlanPlatformRestoreFails: the bucket restore (the second of three)
// fails: PostgreSQL, restored before it, stays restored; Redis, after it,
// is not touched; the output says which is which, and maintenance is
// switched off all the same.
func TestPlanPlatformRestoreFails(t *testing.T) {
	pl, p, m := newPlatform(t)
	ctx := context.Background()
	p.must("apply", "-var-file", "vars.hcl", "-auto-approve")
	pl.change()
	vars, err := os.ReadFile(p.path("vars.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	p.write("proxied.hcl", strings.Replace(string(vars), pl.srv.Endpoint, refusingWrites(t, pl.srv.Endpoint), 1))

	r := p.run("apply", "-var-file", "proxied.hcl", "-restore", "platform", "-auto-approve")
	if r.code != 1 {
		t.Fatalf("a restore whose buckets cannot be written: want exit 1: %s", r)
	}
	// Buckets are restored in name order, and the names are random: the
	// first fails at its first write, the other is untouched.
	wantIn(t, "apply -restore platform", r.stdout+r.stderr,
		"Restore stopped: restore.platform: restored source.postgres.platform; FAILED source.s3.objects; NOT restored (left as they were): source.redis.platform.",
		"writes refused by the test", " partly restored: ", " not restored (untouched)", pl.tpl, pl.users)
	if got := m.got(); got != "on off on off" {
		t.Errorf("maintenance switched %q, want \"on off on off\" (off in finally despite the failure)", got)
	}
	if n := pl.rows("accounts"); n != 300 {
		t.Errorf("accounts has %d rows: PostgreSQL, restored before the failure, should hold the snapshot's 300", n)
	}
	if v := pl.redis.Get(ctx, "session:1").Val(); v != "hijacked" || pl.redis.Exists(ctx, "intruder").Val() != 1 {
		t.Errorf("redis was touched after the failure: session:1=%q", v)
	}
	if pl.get(pl.tpl, "stray.txt") == "" {
		t.Error("the failed bucket restore deleted objects (deletions come only after every write succeeded)")
	}
}
