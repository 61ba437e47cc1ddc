package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

const scopePlan = `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "files" "data" {
  paths   = ["./data"]
  exclude = ["cache/**", "*.log"]
}
source "sqlite" "app" {
  path = "./app.db"
}
backup "b" {
  sources  = [source.sqlite.app, source.files.data]
  target   = target.local.disk
  strategy = "full"
}
restore "files" {
  from    = backup.b
  sources = [source.files.data]
  to      = "./out2"
}
`

// fileState is what "untouched" means: same bytes, same mtime, same inode.
type fileState struct {
	Sum   string
	MTime time.Time
	Inode uint64
}

func stateOf(t testing.TB, path string) fileState {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return fileState{Sum: hex.EncodeToString(sum[:]), MTime: fi.ModTime(), Inode: fi.Sys().(*syscall.Stat_t).Ino}
}

// statesOf records every regular file under root.
func statesOf(t testing.TB, root string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			out[rel] = stateOf(t, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mustBeUntouched fails for every file of before that changed in any way.
func mustBeUntouched(t testing.TB, what string, before, after map[string]fileState) {
	t.Helper()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %s was touched: %+v -> %+v", what, k, v, after[k])
		}
	}
}

func scopeProject(t *testing.T) *project {
	p := newProject(t, scopePlan)
	p.write("data/index.html", "index v1")
	p.write("data/uploads/x.jpg", "photo v1")
	p.write("data/deep/page.html", "page v1")
	sqliteExec(t, p.path("app.db"), "CREATE TABLE t (x)", "INSERT INTO t VALUES (1), (2)")
	p.must("backup", "create")
	return p
}

// TestE2ERestoreOnlyNamedSources: --source restores exactly the sources
// named, whatever their order in the manifest, and manifests list sources
// sorted by key.
func TestE2ERestoreOnlyNamedSources(t *testing.T) {
	p := scopeProject(t)
	p.must("backup", "create")
	for _, s := range p.snapshots() {
		var keys []string
		for _, src := range s.Sources {
			keys = append(keys, src.Key)
		}
		if !sort.StringsAreSorted(keys) {
			t.Errorf("snapshot %s lists its sources unsorted: %v", s.ID, keys)
		}
	}
	p.write("data/index.html", "index v2")
	sqliteExec(t, p.path("app.db"), "INSERT INTO t VALUES (3)")
	db := stateOf(t, p.path("app.db"))
	p.must("backup", "restore", "latest", "--source", "files.data", "--yes")
	if b, _ := os.ReadFile(p.path("data/index.html")); string(b) != "index v1" {
		t.Errorf("files.data was not restored: index.html = %q", b)
	}
	mustBeUntouched(t, "--source files.data", map[string]fileState{"app.db": db},
		map[string]fileState{"app.db": stateOf(t, p.path("app.db"))})

	p.write("data/index.html", "index v3")
	files := statesOf(t, p.path("data"))
	p.must("backup", "restore", "latest", "--source", "sqlite.app", "--yes")
	if n := sqliteCount(t, p.path("app.db"), "t"); n != 2 {
		t.Errorf("sqlite.app was not restored: %d rows", n)
	}
	mustBeUntouched(t, "--source sqlite.app", files, statesOf(t, p.path("data")))

	r := p.run("backup", "restore", "latest", "--source", "files.nope", "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "files.nope") || !strings.Contains(r.stderr, "sqlite.app") {
		t.Errorf("an unknown --source must fail and list the snapshot's sources: %s", r)
	}
}

// TestE2ERestoreIncludeTouchesOnlyMatches: --include filters file trees by
// the rule exclude uses, never touches a database, and an include that
// matches nothing is an error listing the top-level entries.
func TestE2ERestoreIncludeTouchesOnlyMatches(t *testing.T) {
	p := scopeProject(t)
	p.write("data/index.html", "index v2")
	p.write("data/uploads/x.jpg", "photo v2")
	p.write("data/deep/page.html", "page v2")
	sqliteExec(t, p.path("app.db"), "INSERT INTO t VALUES (3)")
	before := statesOf(t, p.dir)
	delete(before, "data/index.html")

	p.must("backup", "restore", "latest", "--include", "data/index.html", "--yes")
	if b, _ := os.ReadFile(p.path("data/index.html")); string(b) != "index v1" {
		t.Errorf("index.html not restored: %q", b)
	}
	mustBeUntouched(t, "--include data/index.html", before, statesOf(t, p.dir))

	// A pattern with a slash may leave out the root's name, as in exclude.
	delete(before, "data/uploads/x.jpg")
	p.must("backup", "restore", "latest", "--include", "uploads/**", "--yes")
	if b, _ := os.ReadFile(p.path("data/uploads/x.jpg")); string(b) != "photo v1" {
		t.Errorf("--include uploads/** did not restore x.jpg: %q", b)
	}
	// A pattern without a slash matches at any depth, as in exclude.
	delete(before, "data/deep/page.html")
	p.must("backup", "restore", "latest", "--include", "*.html", "--yes")
	if b, _ := os.ReadFile(p.path("data/deep/page.html")); string(b) != "page v1" {
		t.Errorf("--include *.html did not restore deep/page.html: %q", b)
	}
	mustBeUntouched(t, "--include", before, statesOf(t, p.dir))

	r := p.run("backup", "restore", "latest", "--include", "nothing/**", "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "matches nothing") || !strings.Contains(r.stderr, "data") {
		t.Errorf("an --include matching nothing must fail and list the top-level entries: %s", r)
	}
	r = p.run("backup", "restore", "latest", "--source", "sqlite.app", "--include", "*.html", "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "file trees only") {
		t.Errorf("--include on a database source must be refused: %s", r)
	}
	mustBeUntouched(t, "refused restores", before, statesOf(t, p.dir))
}

type restoreJSON struct {
	DryRun bool `json:"dry_run"`
	Plan   struct {
		Snapshot string `json:"snapshot"`
		Sources  []struct {
			Key       string `json:"key"`
			Files     int64  `json:"files"`
			Create    int    `json:"create"`
			Replace   int    `json:"replace"`
			Unchanged int    `json:"unchanged"`
			Changes   []struct {
				Action   string `json:"action"`
				What     string `json:"what"`
				Snapshot string `json:"snapshot"`
				Current  string `json:"current"`
			} `json:"changes"`
		} `json:"sources"`
	} `json:"plan"`
	Result *struct {
		Sources []struct {
			Key      string `json:"key"`
			Status   string `json:"status"`
			Problems []struct {
				Path string `json:"path"`
			} `json:"problems"`
		} `json:"sources"`
	} `json:"result"`
}

func restoreDryRun(t *testing.T, p *project, args ...string) restoreJSON {
	t.Helper()
	r := p.must(append([]string{"backup", "restore", "latest", "--dry-run", "--json"}, args...)...)
	var out restoreJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("restore --json: %v\n%s", err, r.stdout)
	}
	return out
}

// TestE2ERestorePlanShowsSnapshotAndCurrent: the plan puts the snapshot
// next to what exists now, counts files, marks identical items unchanged,
// and --dry-run changes nothing without asking.
func TestE2ERestorePlanShowsSnapshotAndCurrent(t *testing.T) {
	p := scopeProject(t)
	p.write("data/index.html", "index v2")
	sqliteExec(t, p.path("app.db"), "INSERT INTO t VALUES (3)")
	before := statesOf(t, p.dir)

	r := p.must("backup", "restore", "latest", "--dry-run")
	for _, want := range []string{"1 to replace, 2 unchanged", "table t", "snapshot: 2 rows", "now: 3 rows", "data/index.html"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("restore --dry-run does not show %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stderr, "Enter a value") {
		t.Errorf("--dry-run must not ask: %s", r)
	}
	mustBeUntouched(t, "--dry-run", before, statesOf(t, p.dir))

	out := restoreDryRun(t, p)
	if !out.DryRun || out.Result != nil || len(out.Plan.Sources) != 2 {
		t.Fatalf("restore --dry-run --json: %+v", out)
	}
	files, db := out.Plan.Sources[0], out.Plan.Sources[1]
	if files.Key != "files.data" || files.Files != 3 || files.Replace != 1 || files.Unchanged != 2 || files.Create != 0 {
		t.Errorf("files plan: %+v", files)
	}
	if db.Key != "sqlite.app" || db.Replace != 1 {
		t.Errorf("sqlite plan: %+v", db)
	}
	var table bool
	for _, c := range db.Changes {
		if c.What == "table t" && c.Snapshot == "2 rows" && c.Current == "3 rows" {
			table = true
		}
	}
	if !table {
		t.Errorf("sqlite plan does not show table t with 2 rows in the snapshot and 3 now: %+v", db.Changes)
	}

	p.write(".app.db.velin-123456.tmp", "left by a killed restore")
	p.must("backup", "restore", "latest", "--yes")
	if _, err := os.Lstat(p.path(".app.db.velin-123456.tmp")); err == nil {
		t.Error("the database restore left a stale temporary file")
	}
	out = restoreDryRun(t, p)
	for _, s := range out.Plan.Sources {
		if s.Create+s.Replace != 0 || s.Unchanged == 0 {
			t.Errorf("right after a restore, %s must be all unchanged: %+v", s.Key, s)
		}
	}
	again := statesOf(t, p.dir)
	r = p.runInput("", "backup", "restore", "latest")
	if r.code != 0 || strings.Contains(r.stderr, "Enter a value") {
		t.Errorf("a restore with nothing to overwrite must not ask: %s", r)
	}
	mustBeUntouched(t, "restore over identical data", again, statesOf(t, p.dir))
}

// TestE2ERestoreRerunSkipsIdenticalAndCleansTemp: running a restore again
// (after an interruption) leaves the files already restored alone and
// removes the temporary files the interrupted run left.
func TestE2ERestoreRerunSkipsIdenticalAndCleansTemp(t *testing.T) {
	p := newProject(t, filesPlan)
	randomData(t, p, 40, 5000)
	p.must("backup", "create")
	p.must("backup", "restore", "latest", "--to", "out", "--yes")
	restored := statesOf(t, p.path("out"))
	// What an interrupted run leaves: some files not there yet, and
	// temporary files under the directories it writes.
	var gone []string
	for rel := range restored {
		if len(gone) < 10 {
			gone = append(gone, rel)
			os.Remove(p.path(filepath.Join("out", rel)))
			delete(restored, rel)
		}
	}
	stale := []string{"out/data/.velin-ABCDEFGHIJKLMNOPQRSTUVWXYZ.tmp", "out/data/d03/.velin-234567ABCDEFGHIJKLMNOPQRST.tmp"}
	for _, s := range stale {
		p.write(s, "half a file")
	}
	p.write("out/data/.velin-notours.tmp", "not a name velin makes")

	p.must("backup", "restore", "latest", "--to", "out", "--yes")
	mustBeUntouched(t, "re-run", restored, statesOf(t, p.path("out")))
	for _, rel := range gone {
		if _, err := os.Stat(p.path(filepath.Join("out", rel))); err != nil {
			t.Errorf("re-run did not restore %s: %v", rel, err)
		}
	}
	for _, s := range stale {
		if _, err := os.Lstat(p.path(s)); err == nil {
			t.Errorf("re-run left the stale temporary file %s", s)
		}
	}
	if _, err := os.Lstat(p.path("out/data/.velin-notours.tmp")); err != nil {
		t.Errorf("a file velin did not make was removed: %v", err)
	}
	os.Remove(p.path("out/data/.velin-notours.tmp"))
	if d := diffDigests(treeDigest(t, p.path("data")), treeDigest(t, p.path("out/data"))); len(d) > 0 {
		t.Errorf("restored tree differs from the original: %v", d)
	}
}

// newestPack returns the largest pack file not in before.
func newestPack(t *testing.T, p *project, before map[string]bool) string {
	t.Helper()
	var best string
	var size int64
	filepath.WalkDir(p.path("backups/data"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && !before[path] {
			if fi, err := d.Info(); err == nil && fi.Size() > size {
				best, size = path, fi.Size()
			}
		}
		return nil
	})
	if best == "" {
		t.Fatal("no new pack")
	}
	return best
}

func packSet(p *project) map[string]bool {
	out := map[string]bool{}
	filepath.WalkDir(p.path("backups/data"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out[path] = true
		}
		return nil
	})
	return out
}

func flipByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/4] ^= 0x01
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return string(b)
}

// TestE2ERestoreDamageIsPartial: a damaged blob costs only what it holds: a
// file-tree restore writes every intact file, names the damaged one and
// exits 3; a damaged database fails that source only.
func TestE2ERestoreDamageIsPartial(t *testing.T) {
	p := scopeProject(t)
	packs := packSet(p)
	p.write("data/big.bin", randomString(3<<20))
	p.must("backup", "create")
	flipByte(t, newestPack(t, p, packs))

	r := p.run("backup", "restore", "latest", "--to", "out", "--yes")
	if r.code != 3 {
		t.Fatalf("a restore with one damaged file must exit 3: %s", r)
	}
	if !strings.Contains(r.stdout+r.stderr, "big.bin") {
		t.Errorf("the damaged file is not named: %s", r)
	}
	for _, f := range []string{"index.html", "uploads/x.jpg", "deep/page.html"} {
		if _, err := os.Stat(p.path("out/data/" + f)); err != nil {
			t.Errorf("intact file %s not restored: %v", f, err)
		}
	}
	if _, err := os.Stat(p.path("out/data/big.bin")); err == nil {
		t.Error("the damaged file was written")
	}
	if n := sqliteCount(t, p.path("out/app.db"), "t"); n != 2 {
		t.Errorf("the intact database was not restored: %d rows", n)
	}
	// A restore block takes the same path.
	r = p.run("apply", "-restore", "files", "-auto-approve")
	if r.code != 3 || !strings.Contains(r.stdout+r.stderr, "big.bin") {
		t.Errorf("apply -restore with one damaged file must exit 3 and name it: %s", r)
	}
	if _, err := os.Stat(p.path("out2/data/index.html")); err != nil {
		t.Errorf("apply -restore did not restore the intact files: %v", err)
	}

	// Now the database is what is damaged: it alone fails.
	packs = packSet(p)
	sqliteExec(t, p.path("app.db"), "CREATE TABLE blobs (b)", "INSERT INTO blobs VALUES (randomblob(3000000))")
	p.must("backup", "create")
	flipByte(t, newestPack(t, p, packs))
	p.write("data/index.html", "index v2")
	db := stateOf(t, p.path("app.db"))
	r = p.run("backup", "restore", "latest", "--yes", "--json")
	if r.code != 3 {
		t.Fatalf("a restore whose database is damaged must exit 3: %s", r)
	}
	var out restoreJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Result == nil {
		t.Fatalf("restore --json: %v\n%s", err, r.stdout)
	}
	status := map[string]string{}
	for _, s := range out.Result.Sources {
		status[s.Key] = s.Status
	}
	if status["files.data"] != "restored" || status["sqlite.app"] != "failed" {
		t.Errorf("statuses %v, want files.data restored and sqlite.app failed", status)
	}
	if b, _ := os.ReadFile(p.path("data/index.html")); string(b) != "index v1" {
		t.Errorf("files.data was not restored beside the damaged database: %q", b)
	}
	mustBeUntouched(t, "damaged database", map[string]fileState{"app.db": db},
		map[string]fileState{"app.db": stateOf(t, p.path("app.db"))})
}

// TestE2ERestoreBlockIncludeOnDatabaseIsADiagnostic: a restore block whose
// include would replace a database whole is refused by validate, at the
// include's file:line.
func TestE2ERestoreBlockIncludeOnDatabaseIsADiagnostic(t *testing.T) {
	p := newProject(t, scopePlan+`
restore "html" {
  from    = backup.b
  include = ["*.html"]
}
`)
	r := p.run("validate")
	if r.code != 1 || !strings.Contains(r.stderr, "velin.hcl:") || !strings.Contains(r.stderr, "sqlite.app cannot be filtered") {
		t.Errorf("validate must refuse include over a database source, at its line: %s", r)
	}
}
