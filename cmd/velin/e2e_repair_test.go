package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestE2ERepairConfigMissing: after the config object is lost, a backup
// must not create a new repository (a second key and config) over the old
// keys and data; it fails naming the location, and the old data stays
// recoverable once config is put back.
func TestE2ERepairConfigMissing(t *testing.T) {
	p := restoreProject(t)
	repoDir := p.path("backups")
	cfg, err := os.ReadFile(filepath.Join(repoDir, "config"))
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := os.ReadDir(filepath.Join(repoDir, "keys"))
	os.Remove(filepath.Join(repoDir, "config"))

	for _, args := range [][]string{{"backup", "create"}, {"apply", "-auto-approve"}, {"backup", "list"}} {
		r := p.run(args...)
		out := r.stdout + r.stderr
		if r.code == 0 || !strings.Contains(out, "config object is missing") || !strings.Contains(out, repoDir) {
			t.Fatalf("velin %s without config: want a clear error naming %s, got %s", strings.Join(args, " "), repoDir, r)
		}
	}
	if _, err := os.Stat(filepath.Join(repoDir, "config")); err == nil {
		t.Fatal("a new config was written over the old repository")
	}
	if now, _ := os.ReadDir(filepath.Join(repoDir, "keys")); len(now) != len(keys) {
		t.Fatalf("keys/ changed: %d entries, was %d", len(now), len(keys))
	}
	if err := os.WriteFile(filepath.Join(repoDir, "config"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	p.must("backup", "verify", "all")
}

// indexFiles lists the index objects of the repository at dir.
func indexFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "index"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// flipByteAt damages one byte of a file.
func flipByteAt(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if off < 0 {
		off += int64(len(b))
	}
	b[off] ^= 0x40
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestE2ERepairDamagedIndexIsSkipped: one damaged index file is named in a
// warning and skipped; a snapshot whose blobs other indexes list restores;
// prune refuses until the indexes are repaired.
func TestE2ERepairDamagedIndexIsSkipped(t *testing.T) {
	p := restoreProject(t)
	repoDir := p.path("backups")
	first := indexFiles(t, repoDir)
	// A second snapshot that shares no blob with the first.
	p.write("site/index.html", "index v2, all new")
	p.write("site/uploads/a.jpg", "photo a v2, all new")
	p.write("site/uploads/b.jpg", "photo b v2, all new")
	sqliteExec(t, p.path("app.db"), "INSERT INTO t VALUES (3)")
	p.must("backup", "create")
	want := treeDigest(t, p.path("site"))
	if len(first) != 1 || len(indexFiles(t, repoDir)) != 2 {
		t.Fatalf("index files: %v then %v", first, indexFiles(t, repoDir))
	}
	flipByteAt(t, filepath.Join(repoDir, "index", first[0]), 30)

	r := p.must("backup", "restore", "latest", "--to", p.path("out"), "--yes")
	if !strings.Contains(r.stderr, first[0]) || !strings.Contains(r.stderr, "repair index") {
		t.Fatalf("the damaged index must be named in a warning: %s", r)
	}
	if d := diffDigests(want, treeDigest(t, p.path("out/site"))); len(d) > 0 {
		t.Fatalf("restored site differs: %v", d)
	}
	if n := sqliteCount(t, p.path("out/app.db"), "t"); n != 3 {
		t.Fatalf("restored database has %d rows, want 3", n)
	}
	r = p.run("backup", "prune", "--yes")
	if r.code == 0 || !strings.Contains(r.stderr, "velin backup repair index") {
		t.Fatalf("prune with a damaged index must refuse, naming repair index: %s", r)
	}
}

// repoPackFiles lists the pack objects (data/xx/id) of the repository at dir.
func repoPackFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(dir, "data"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestE2ERepairIndexAfterLostPack: a pack is lost; repair index drops what
// it held, the next backup stores those blobs again, and everything the
// source still has restores and verifies.
func TestE2ERepairIndexAfterLostPack(t *testing.T) {
	p := restoreProject(t)
	repoDir := p.path("backups")
	lost := repoPackFiles(t, repoDir)
	p.write("site/index.html", "index v2")
	p.must("backup", "create")
	for _, f := range lost {
		os.Remove(f)
	}
	want := treeDigest(t, p.path("site"))

	r := p.must("backup", "repair", "index", "--json")
	var rep struct {
		Target       string   `json:"target"`
		Packs        int      `json:"packs"`
		DroppedBlobs int      `json:"dropped_blobs"`
		DamagedPacks []string `json:"damaged_packs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.DroppedBlobs == 0 || rep.Packs == 0 || rep.DamagedPacks == nil {
		t.Fatalf("repair index --json: %v\n%s", err, r)
	}
	p.must("backup", "create") // incremental: unchanged files whose content was lost are read again
	p.must("backup", "verify", "latest")
	p.must("backup", "restore", "latest", "--to", p.path("out"), "--yes")
	if d := diffDigests(want, treeDigest(t, p.path("out/site"))); len(d) > 0 {
		t.Fatalf("restored site differs: %v", d)
	}
	if n := sqliteCount(t, p.path("out/app.db"), "t"); n != 2 {
		t.Fatalf("restored database has %d rows, want 2", n)
	}
}

// TestE2ERepairIndexAfterLostIndexes: with index/ deleted the repository
// cannot restore; repair index rebuilds the indexes from the packs.
func TestE2ERepairIndexAfterLostIndexes(t *testing.T) {
	p := restoreProject(t)
	repoDir := p.path("backups")
	want := treeDigest(t, p.path("site"))
	os.RemoveAll(filepath.Join(repoDir, "index"))
	if r := p.run("backup", "restore", "latest", "--to", p.path("broken"), "--yes"); r.code == 0 {
		t.Fatalf("restore without indexes must fail: %s", r)
	}
	r := p.must("backup", "repair", "index", "-r", repoDir)
	if !strings.Contains(r.stdout, "0 dropped") {
		t.Fatalf("repair index output: %s", r)
	}
	p.must("backup", "restore", "latest", "--to", p.path("out"), "--yes", "-r", repoDir)
	if d := diffDigests(want, treeDigest(t, p.path("out/site"))); len(d) > 0 {
		t.Fatalf("restored site differs: %v", d)
	}
	if n := sqliteCount(t, p.path("out/app.db"), "t"); n != 2 {
		t.Fatalf("restored database has %d rows, want 2", n)
	}
}

type checkJSON struct {
	Target         string   `json:"target"`
	OK             bool     `json:"ok"`
	Snapshots      int      `json:"snapshots"`
	PacksRead      int      `json:"packs_read"`
	UnindexedPacks []string `json:"unindexed_packs"`
	Problems       []struct {
		Kind     string `json:"kind"`
		Object   string `json:"object"`
		Snapshot string `json:"snapshot"`
		Path     string `json:"path"`
		Err      string `json:"error"`
	} `json:"problems"`
}

func parseCheck(t *testing.T, r result) checkJSON {
	t.Helper()
	var c checkJSON
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil || c.Problems == nil || c.UnindexedPacks == nil {
		t.Fatalf("check --json: %v\n%s", err, r)
	}
	return c
}

// TestE2ECheck: check passes on a sound repository, finds damage to a
// pack's last bytes only with --read-data (verify does not see it), and
// names a lost pack and the snapshot files that needed it.
func TestE2ECheck(t *testing.T) {
	p := restoreProject(t)
	repoDir := p.path("backups")
	if r := p.must("backup", "check"); !strings.Contains(r.stdout, "no damage found") {
		t.Fatalf("check of a sound repository: %s", r)
	}
	if c := parseCheck(t, p.must("backup", "check", "--read-data", "--json")); !c.OK || c.PacksRead == 0 || c.Snapshots != 1 {
		t.Fatalf("check --read-data: %+v", c)
	}
	packs := repoPackFiles(t, repoDir)
	flipByteAt(t, packs[0], -1)
	p.must("backup", "verify", "all") // reads blobs only: the trailer is not its business
	if r := p.must("backup", "check"); !strings.Contains(r.stdout, "no damage found") {
		t.Fatalf("structure check reads no pack: %s", r)
	}
	r := p.run("backup", "check", "--read-data-subset", "100%", "--json")
	c := parseCheck(t, r)
	if r.code != 1 || c.OK || len(c.Problems) == 0 || !strings.Contains(packs[0], c.Problems[0].Object) {
		t.Fatalf("check --read-data must name the damaged pack %s: %s", packs[0], r)
	}
	if r := p.run("backup", "check", "--read-data-subset", "0%"); r.code != 1 || !strings.Contains(r.stderr, "percentage") {
		t.Fatalf("bad subset: %s", r)
	}

	os.Remove(packs[0])
	r = p.run("backup", "check")
	if r.code != 1 || !strings.Contains(r.stdout, "damaged pack") || !strings.Contains(r.stdout, "missing") ||
		!strings.Contains(r.stdout, "files.site:") {
		t.Fatalf("check after a lost pack must name it and the files that needed it: %s", r)
	}
	if r := p.run("backup", "check", "-r", p.path("nowhere")); r.code != 10 {
		t.Fatalf("check of a missing repository: want exit 10, got %s", r)
	}
}

// writeLock puts a lock object into the repository at dir.
func writeLock(t *testing.T, dir, id, body string) {
	t.Helper()
	os.MkdirAll(filepath.Join(dir, "locks"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "locks", id), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestE2EUnlock: unlock removes stale and malformed locks and keeps live
// ones; --remove-all asks, and removes live ones only when confirmed.
func TestE2EUnlock(t *testing.T) {
	p := restoreProject(t)
	repoDir := p.path("backups")
	now := time.Now().UTC()
	lock := func(host string, refreshed time.Time) string {
		return fmt.Sprintf(`{"host":%q,"pid":4242,"start":"","exclusive":false,"created":%q,"refreshed":%q}`,
			host, refreshed.Format(time.RFC3339), refreshed.Format(time.RFC3339))
	}
	stale, malformed, live := strings.Repeat("a", 64), strings.Repeat("b", 64), strings.Repeat("c", 64)
	writeLock(t, repoDir, malformed, "{not json")
	writeLock(t, repoDir, live, lock("other-host", now))
	// A malformed lock blocks nobody meanwhile (nor does a live shared one
	// block a backup).
	p.must("backup", "create")
	writeLock(t, repoDir, stale, lock("gone-host", now.Add(-3*time.Hour)))

	r := p.must("backup", "unlock")
	if !strings.Contains(r.stdout, "removed 2 lock(s), kept 1 live lock(s)") || !strings.Contains(r.stdout, "malformed") ||
		!strings.Contains(r.stdout, "not refreshed") {
		t.Fatalf("unlock: %s", r)
	}
	if got := lockNames(t, repoDir); len(got) != 1 || got[0] != live {
		t.Fatalf("locks after unlock: %v", got)
	}
	if r := p.run("backup", "prune", "--yes", "--lock-timeout", "0"); r.code != 11 {
		t.Fatalf("prune beside a live lock: want exit 11, got %s", r)
	}
	if r := p.runInput("no\n", "backup", "unlock", "--remove-all"); r.code != 1 || !strings.Contains(r.stderr, "other-host") {
		t.Fatalf("unlock --remove-all answered no: %s", r)
	}
	if len(lockNames(t, repoDir)) != 1 {
		t.Fatal("a refused unlock removed a lock")
	}
	p.must("backup", "unlock", "--remove-all", "--yes", "-r", repoDir)
	if got := lockNames(t, repoDir); len(got) != 0 {
		t.Fatalf("locks after --remove-all: %v", got)
	}
	p.must("backup", "prune", "--yes")
}

func lockNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Join(dir, "locks"))
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestE2ERepairSnapshots: after a pack is lost and the indexes repaired,
// repair snapshots lists what each snapshot lost, asks, and replaces the
// snapshots with repaired copies that check clean and restore what is left.
func TestE2ERepairSnapshots(t *testing.T) {
	p := restoreProject(t)
	repoDir := p.path("backups")
	lost := repoPackFiles(t, repoDir)
	p.write("site/index.html", "index v2")
	p.must("backup", "create")
	for _, f := range lost {
		os.Remove(f)
	}
	p.must("backup", "repair", "index")
	before := p.snapshots()

	r := p.must("backup", "repair", "snapshots", "--dry-run")
	if !strings.Contains(r.stdout, "files.site:site/uploads") || !strings.Contains(r.stdout, before[1].ID) {
		t.Fatalf("repair snapshots --dry-run must list the lost paths: %s", r)
	}
	if r := p.runInput("no\n", "backup", "repair", "snapshots"); r.code != 1 {
		t.Fatalf("repair answered no: %s", r)
	}
	if now := p.snapshots(); len(now) != 2 || now[0].ID != before[0].ID || now[1].ID != before[1].ID {
		t.Fatalf("a dry run or refusal changed the snapshots: %+v", now)
	}
	if r := p.run("backup", "check"); r.code != 1 {
		t.Fatalf("check before repairing the snapshots: %s", r)
	}
	r = p.must("backup", "repair", "snapshots", "--yes", "--json")
	var out struct {
		Snapshots []struct {
			Snapshot string   `json:"snapshot"`
			NewID    string   `json:"new_id"`
			Lost     []string `json:"lost"`
		} `json:"snapshots"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Snapshots) != 2 || out.Snapshots[1].NewID != before[1].ID+"-repaired" {
		t.Fatalf("repair snapshots --json: %v\n%s", err, r)
	}
	p.must("backup", "check", "--read-data")
	r = p.must("backup", "show", before[1].ID+"-repaired", "--json")
	if !strings.Contains(r.stdout, `"from": "`+before[1].ID+`"`) {
		t.Fatalf("the repaired manifest must say so: %s", r)
	}
	// The database's content was in the lost pack: its source fails (exit 3,
	// partial), the files that are left restore.
	if r := p.run("backup", "restore", "latest", "--to", p.path("out"), "--yes"); r.code != 3 || !strings.Contains(r.stdout, "sqlite.app") {
		t.Fatalf("restore of the repaired snapshot: want exit 3 for the lost database, got %s", r)
	}
	if b, err := os.ReadFile(p.path("out/site/index.html")); err != nil || string(b) != "index v2" {
		t.Fatalf("index.html restored from the repaired snapshot: %q %v", b, err)
	}
	if _, err := os.Stat(p.path("out/site/uploads/a.jpg")); err == nil {
		t.Fatal("a lost file was restored")
	}
}

// TestE2EVerifyAllOfEmptyRepository: verify all with nothing to verify is an
// error naming the repository, not a silent success.
func TestE2EVerifyAllOfEmptyRepository(t *testing.T) {
	p := restoreProject(t)
	p.must("backup", "delete", p.snapshots()[0].ID, "--yes")
	r := p.run("backup", "verify", "all")
	if r.code != 1 || !strings.Contains(r.stderr, "no snapshot to verify") || !strings.Contains(r.stderr, p.path("backups")) {
		t.Fatalf("verify all of an empty repository: %s", r)
	}
}
