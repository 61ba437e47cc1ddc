package deploy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/storage/local"
)

// fixture is a plan directory with artifacts, a deployment block and a
// repository.
type fixture struct {
	t    *testing.T
	dir  string
	cfg  *config.Deployment
	d    *Deployer
	log  []string
	now  time.Time
	repo *repo.Repository
}

// newFixture: the artifact "app" holds a check script (exit code set by
// setHealthy) and a migrate tool keeping the schema in root/schema.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{t: t, dir: dir, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	f.cfg = &config.Deployment{
		Name: "api", Root: filepath.Join(dir, "srv"), Keep: 2,
		Artifacts: []string{filepath.Join(dir, "build", "app")},
		Config:    []string{filepath.Join(dir, "conf")},
		Stop:      []string{"sh", "-c", "echo stop >> events"},
		Start:     []string{"sh", "-c", "echo start $(readlink current) >> events"},
		// 5 s: a passing check (a fork and exec of sh) must pass on a loaded
		// machine under -race; only the failing ones wait it out.
		Health: &config.Health{Exec: []string{"sh", "./current/app/check"}, Timeout: 5 * time.Second, Interval: 50 * time.Millisecond},
		Migrate: &config.Migrate{
			Current: []string{"sh", "-c", "cat schema 2>/dev/null || echo 0"},
			DownTo:  []string{"sh", "-c", "echo {version} > schema; echo down {version} >> events"},
		},
	}
	f.writeApp("", true)
	f.write("conf/app.conf", "a=1\n")
	st, err := local.New(filepath.Join(dir, "repo"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Init(context.Background(), st, repo.Options{Encryption: "none", Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	f.repo = r
	f.d, err = Open(f.cfg, Options{PlanDir: dir, Clock: f.clock, Log: func(m string) { f.log = append(f.log, m) },
		Repo: func(context.Context, bool) (*repo.Repository, error) { return r, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) clock() time.Time { f.now = f.now.Add(time.Second); return f.now }

func (f *fixture) write(rel, content string) {
	f.t.Helper()
	p := filepath.Join(f.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// writeApp writes the artifacts: a check that passes or fails, and a
// payload naming the build.
func (f *fixture) writeApp(build string, healthy bool) {
	code := "1"
	if healthy {
		code = "0"
	}
	f.write("build/app/check", "exit "+code+"\n")
	f.write("build/app/payload", "build "+build+"\n")
	f.write("build/app/migrations/0001.sql", "create table t;\n")
}

func (f *fixture) create(version string, healthy bool) {
	f.t.Helper()
	f.writeApp(version, healthy)
	if _, err := f.d.CreateVersion(context.Background(), version+" - test", version, KindVersion); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) current() string {
	f.t.Helper()
	rel, err := f.d.Current(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return rel.Version
}

func (f *fixture) events() string {
	b, _ := os.ReadFile(filepath.Join(f.cfg.Root, "events"))
	return string(b)
}

func TestSwitchReturnsWhenHealthFails(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create("v1", true)
	f.create("v2", false)
	if err := f.d.Switch(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	err := f.d.Switch(ctx, "v2")
	var rb *RolledBackError
	if !errors.As(err, &rb) || rb.Previous != "v1" || !strings.Contains(rb.Failed, "health check") {
		t.Fatalf("Switch(v2) = %v, want a RolledBackError returning to v1", err)
	}
	if got := f.current(); got != "v1" {
		t.Fatalf("current = %s, want v1", got)
	}
	s, _ := f.d.State()
	if _, bad := s.Bad["v2"]; !bad {
		t.Errorf("v2 is not marked bad: %+v", s)
	}
	if want := "start releases/v1\nstop\nstart releases/v2\nstop\nstart releases/v1\n"; f.events() != want {
		t.Errorf("events:\n%s\nwant:\n%s", f.events(), want)
	}
	if _, err := os.Stat(filepath.Join(f.d.StateDir(), journalFile)); !os.IsNotExist(err) {
		t.Errorf("journal left behind: %v", err)
	}
}

func TestSwitchMigratesDownWithTheNewerRelease(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create("v1", true)
	if err := f.d.Switch(ctx, "v1"); err != nil { // schema 0 recorded with v1
		t.Fatal(err)
	}
	f.create("v2", true)
	if err := f.d.Switch(ctx, "v2"); err != nil {
		t.Fatal(err)
	}
	f.write("srv/schema", "5\n") // v2 migrated up when it started
	if err := f.d.Switch(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.events(), "stop\ndown 0\nstart releases/v1") {
		t.Errorf("no down migration between stop and start:\n%s", f.events())
	}
	if s, _ := f.d.SchemaVersion(ctx); s != "0" {
		t.Errorf("schema = %q, want 0", s)
	}
}

func TestVersionMetadata(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create("v1", true)
	if _, err := f.d.CreateVersion(ctx, "v1 - again", "v1", KindVersion); err == nil {
		t.Error("a second v1 was stored")
	}
	if _, err := f.d.CreateVersion(ctx, " ", "v9", KindVersion); !errors.Is(err, ErrEmptyLabel) {
		t.Errorf("empty label: %v", err)
	}
	v, err := f.d.Find(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if v.Label != "v1 - test" || v.Kind != KindVersion || !strings.HasPrefix(v.Checksum, "sha256:") ||
		len(v.Migrations) != 1 || v.Migrations[0] != "app/migrations/0001.sql" {
		t.Errorf("version = %+v", v)
	}
	if _, err := f.d.Find(ctx, "v7"); !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("Find(v7) = %v", err)
	}
	f.writeApp("v1", true)
	other, _ := f.d.CreateVersion(ctx, "same content", "v1b", KindVersion)
	if other.Checksum != v.Checksum {
		t.Errorf("same content, checksums %s and %s", other.Checksum, v.Checksum)
	}
}

func TestCurrentNotOursRefusedBeforeAnyChange(t *testing.T) {
	f := newFixture(t)
	f.create("v1", true)
	if err := os.MkdirAll(filepath.Join(f.cfg.Root, "current"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := f.d.Switch(context.Background(), "v1"); !errors.Is(err, ErrNotOurs) {
		t.Fatalf("Switch = %v, want ErrNotOurs", err)
	}
	if f.events() != "" || f.d.hasRelease("v1") {
		t.Errorf("something changed: events %q, release on disk %v", f.events(), f.d.hasRelease("v1"))
	}
}

func TestRestoreConfig(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id, err := f.d.SnapshotConfig(ctx)
	if err != nil || id == "" {
		t.Fatalf("SnapshotConfig = %q, %v", id, err)
	}
	f.write("conf/app.conf", "a=2\n")
	if err := f.d.RestoreConfig(ctx, id); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(f.dir, "conf/app.conf")); string(b) != "a=1\n" {
		t.Errorf("config = %q", b)
	}
}

func TestKeepSparesCurrentPreviousPinned(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, v := range []string{"v1", "v2", "v3", "v4"} {
		f.create(v, true)
	}
	if err := f.d.Switch(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	if err := f.d.Pin("v1", true); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"v2", "v3", "v4"} {
		if err := f.d.Switch(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, v := range []string{"v1", "v2", "v3", "v4"} {
		if f.d.hasRelease(v) {
			got = append(got, v)
		}
	}
	if strings.Join(got, ",") != "v1,v3,v4" { // keep = 2: current v4, previous v3; v1 pinned
		t.Errorf("releases on disk: %v", got)
	}
}

// TestReturnMigratesBack: a failed release that migrated up when it
// started is migrated back down (with its own files) before the earlier
// release is switched back in.
func TestReturnMigratesBack(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.cfg.Start = []string{"sh", "-c", `echo start $(readlink current) >> events; if [ "$(readlink current)" = releases/v2 ]; then echo 9 > schema; fi`}
	f.create("v1", true)
	f.create("v2", false)
	if err := f.d.Switch(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	var rb *RolledBackError
	if err := f.d.Switch(ctx, "v2"); !errors.As(err, &rb) {
		t.Fatalf("Switch(v2) = %v", err)
	}
	if s, _ := f.d.SchemaVersion(ctx); s != "0" {
		t.Errorf("schema after the return = %q, want 0", s)
	}
	if !strings.Contains(f.events(), "start releases/v2\nstop\ndown 0\nstart releases/v1") {
		t.Errorf("events:\n%s", f.events())
	}
}
