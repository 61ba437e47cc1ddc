package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/velinhq/velin/providers/dbtest"
)

const exportPlan = `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "files" "site" {
  paths = ["site"]
}
source "postgres" "app" {
  dsn = env("APP_DSN")
}
source "redis" "cache" {
  addr = "redis://%s/%d"
}
backup "nightly" {
  sources = [source.files.site, source.postgres.app, source.redis.cache]
  target  = target.local.disk
}
`

const exportPass = "export-e2e-passphrase-5521"

// handTool finds a tool the by-hand restore needs: missing fails in CI.
func handTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is needed to restore an export by hand: %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

// shell runs one step of docs/operations.md's by-hand restore.
func shell(t *testing.T, dir, stdin string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, handTool(t, name), args...)
	cmd.Dir = dir
	if stdin != "" {
		f, err := os.Open(stdin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdin = f
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// ageDecrypt does what `age -d -o out in` does (with the age binary when
// installed, else the same library), proving the file is standard age.
func ageDecrypt(t *testing.T, in, out string) {
	t.Helper()
	if bin, err := exec.LookPath("age"); err == nil {
		t.Logf("decrypting with %s", bin)
	}
	id, err := age.NewScryptIdentity(exportPass)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r, err := age.Decrypt(src, id)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestExportRestoredByHand follows docs/operations.md ("Restoring an
// export by hand"): age -d, unzip, psql, redis-cli --pipe, tar. velin is
// not needed to get the data back.
func TestExportRestoredByHand(t *testing.T) {
	for _, tool := range []string{"unzip", "psql", "redis-cli", "tar"} {
		handTool(t, tool)
	}
	live, rds := dbtest.Postgres(t), dbtest.Redis(t)
	pgExec(t, live, `CREATE TABLE items (id int PRIMARY KEY, name text)`,
		`INSERT INTO items VALUES (1, 'ada ✓'), (2, 'bob'), (3, 'cy')`)
	ctx := context.Background()
	rc := redisClient(t, rds)
	rc.Set(ctx, "user:1", "alice", 0)
	rc.Set(ctx, "session:9", "s", time.Hour)
	rc.HSet(ctx, "h", "a", "1", "b", "2")
	p := newProject(t, fmt.Sprintf(exportPlan, rds.Addr, rds.DB))
	p.env = append(p.env, "APP_DSN="+live, "VELIN_EXPORT_PASSPHRASE="+exportPass)
	p.write("site/index.html", "<h1>hi</h1>")
	p.write("site/img/logo.svg", strings.Repeat("<svg/>", 5000))
	if err := os.Symlink("index.html", p.path("site/home.html")); err != nil {
		t.Fatal(err)
	}
	want := treeDigest(t, p.path("site"))
	p.must("backup", "create")
	id := p.snapshots()[0].ID
	r := p.must("backup", "export", "latest", "--out", "snap.zip")
	wantIn(t, "export", r.stdout, id, "encrypted with age")

	// Everything is lost.
	pgExec(t, live, `DROP TABLE items`)
	rc.FlushDB(ctx)

	// The steps of docs/operations.md.
	dir := t.TempDir()
	ageDecrypt(t, p.path("snap.zip"), filepath.Join(dir, "snap-plain.zip"))
	shell(t, dir, "", "unzip", "-q", "snap-plain.zip", "-d", "snap")
	manifest, err := os.ReadFile(filepath.Join(dir, "snap", "manifest.toml"))
	if err != nil || !strings.Contains(string(manifest), `snapshot = "`+id+`"`) {
		t.Fatalf("manifest.toml lacks the snapshot id %s (%v):\n%s", id, err, manifest)
	}
	db := strings.SplitN(live[strings.LastIndex(live, "/")+1:], "?", 2)[0]
	shell(t, dir, "", "psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", live, "-f", "snap/postgres.app/"+db+".sql")
	shell(t, dir, fmt.Sprintf("%s/snap/redis.cache/db%d.resp", dir, rds.DB), "redis-cli",
		"-u", fmt.Sprintf("redis://%s/%d", rds.Addr, rds.DB), "--pipe")
	if err := os.Mkdir(filepath.Join(dir, "restored"), 0o755); err != nil {
		t.Fatal(err)
	}
	shell(t, dir, "", "tar", "-xpf", "snap/files.site/tree.tar", "-C", "restored")

	if n := pgScalar(t, live, `SELECT count(*) FROM items WHERE name IN ('ada ✓', 'bob', 'cy')`); n != 3 {
		t.Errorf("psql restored %d rows, want 3", n)
	}
	if v, ttl := rc.Get(ctx, "user:1").Val(), rc.TTL(ctx, "session:9").Val(); v != "alice" || ttl <= 0 || ttl > time.Hour {
		t.Errorf("redis-cli restored user:1=%q, session:9 TTL %v", v, ttl)
	}
	if h := rc.HGetAll(ctx, "h").Val(); h["a"] != "1" || h["b"] != "2" || rc.DBSize(ctx).Val() != 3 {
		t.Errorf("redis-cli restored h=%v, %d keys", h, rc.DBSize(ctx).Val())
	}
	if got := treeDigest(t, filepath.Join(dir, "restored", "site")); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tar restored\n%v\nwant\n%v", got, want)
	}
}

// TestExportRestoreZipAndImport restores straight from an export with
// velin, refuses damaged and wrongly keyed files without touching
// anything, and imports the snapshot into another repository with its id.
func TestExportRestoreZipAndImport(t *testing.T) {
	p := newProject(t, filesPlanPaths(`["data"]`))
	p.env = append(p.env, "VELIN_EXPORT_PASSPHRASE="+exportPass)
	p.write("data/a.txt", "version 1")
	p.write("data/sub/b.txt", strings.Repeat("b", 100000))
	p.must("backup", "create")
	want := treeDigest(t, p.path("data"))
	id := p.snapshots()[0].ID
	p.must("backup", "export", id, "--out", "snap.zip")
	p.write("data/a.txt", "version 2")

	full, err := os.ReadFile(p.path("snap.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.path("cut.zip"), full[:len(full)*2/3], 0o600); err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(full)
	bad[len(bad)/2] ^= 1
	if err := os.WriteFile(p.path("bad.zip"), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, env, want string }{
		{"cut.zip", "", "damaged or truncated"},
		{"bad.zip", "", "damaged or truncated"},
		{"snap.zip", "VELIN_EXPORT_PASSPHRASE=wrong", "wrong passphrase"},
	} {
		q := *p
		q.env = append(slicesClone(p.env), c.env)
		r := q.run("backup", "restore", "--zip", c.file, "--yes")
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("restore --zip %s (%s): want exit 1 with %q: %s", c.file, c.env, c.want, r)
		}
		if b, _ := os.ReadFile(p.path("data/a.txt")); string(b) != "version 2" {
			t.Fatalf("restore --zip %s changed data/a.txt to %q", c.file, b)
		}
	}
	r := p.must("backup", "restore", "--zip", "snap.zip", "--yes")
	wantIn(t, "restore --zip", r.stdout, id, "files.data")
	if b, _ := os.ReadFile(p.path("data/a.txt")); string(b) != "version 1" {
		t.Errorf("restore --zip left data/a.txt = %q", b)
	}
	p.must("backup", "restore", "--zip", "snap.zip", "--to", "fromzip", "--yes")
	if diff := diffDigests(want, treeDigest(t, p.path("fromzip/data"))); len(diff) != 0 {
		t.Errorf("restore --zip --to differs from the snapshot: %v", diff)
	}

	// Import: the snapshot comes back under its own id (deleted first, as
	// after losing the repository).
	if r := p.run("backup", "import", "snap.zip"); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("importing a snapshot the repository holds: %s", r)
	}
	p.must("backup", "delete", id, "--yes")
	if s := p.snapshots(); len(s) != 0 {
		t.Fatalf("after delete: %+v", s)
	}
	r = p.must("backup", "import", "snap.zip")
	wantIn(t, "import", r.stdout, "Imported snapshot "+id)
	if s := p.snapshots(); len(s) != 1 || s[0].ID != id {
		t.Fatalf("after import: %+v, want %s", s, id)
	}
	p.must("backup", "restore", id, "--to", "out", "--yes")
	if b, _ := os.ReadFile(p.path("out/data/sub/b.txt")); len(b) != 100000 {
		t.Errorf("restore of the imported snapshot: b.txt has %d bytes", len(b))
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }
