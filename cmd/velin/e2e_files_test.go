package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// filesPlanPaths is a files-only plan over the given paths expression.
func filesPlanPaths(paths string) string {
	return `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "files" "data" {
  paths = ` + paths + `
}
backup "b" {
  sources  = [source.files.data]
  target   = target.local.disk
  strategy = "incremental"
  verify {
    test_restore = true
  }
}
`
}

func wantIn(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, out)
		}
	}
}

// A path that does not exist is a diagnostic naming the plan's file and
// line, not a Go error from lstat.
func TestE2EFilesMissingPath(t *testing.T) {
	p := newProject(t, filesPlanPaths(`["./data", "./nope"]`))
	p.write("data/a", "a")
	r := p.run("plan")
	if r.code != 1 {
		t.Fatalf("plan with a missing path: %s", r)
	}
	out := r.stdout + r.stderr
	wantIn(t, "plan", out, "velin.hcl:7,", "Source path not found", p.path("nope")+" does not exist")
	if strings.Contains(out, "lstat") {
		t.Errorf("plan shows a raw Go error:\n%s", out)
	}
	r = p.run("backup", "create")
	if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "velin.hcl:7,") {
		t.Errorf("backup create with a missing path: %s", r)
	}
}

// A repository inside the backed-up tree is left out, and the plan and
// the snapshot say so.
func TestE2EFilesRepositoryInsideTree(t *testing.T) {
	p := newProject(t, filesPlanPaths(`["."]`))
	p.write("data/a.txt", "hello")
	base := filepath.Base(p.dir)
	first := p.must("plan")
	wantIn(t, "first plan", first.stdout, "excluded: "+base+"/backups (velin repository, created by this backup)")
	p.must("backup", "create")
	r := p.must("backup", "create")
	p.must("backup", "restore", "latest", "--to", p.path("out"), "--yes")
	if _, err := os.Stat(p.path("out/" + base + "/data/a.txt")); err != nil {
		t.Fatalf("the tree was not restored: %v\n%s", err, r)
	}
	if _, err := os.Stat(p.path("out/" + base + "/backups")); err == nil {
		t.Error("the repository was backed up into itself")
	}
	plan := p.must("plan")
	wantIn(t, "plan", plan.stdout, "excluded: "+base+"/backups (velin repository)")
	show := p.must("backup", "show", "latest")
	wantIn(t, "backup show", show.stdout, "skipped:    "+base+"/backups (velin repository)")
}

// Named pipes and sockets in the tree are listed as skipped in the plan,
// the backup summary and the manifest.
func TestE2EFilesSpecialFilesListed(t *testing.T) {
	p := newProject(t, filesPlanPaths(`["./data"]`))
	p.write("data/a.txt", "hello")
	if err := syscall.Mkfifo(p.path("data/pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := p.must("plan")
	wantIn(t, "plan", plan.stdout, "skipped: data/pipe (named pipe)")
	r := p.must("backup", "create")
	wantIn(t, "backup summary", r.stdout, "skipped:    data/pipe (named pipe)")
	show := p.must("backup", "show", "latest", "--json")
	if got := sourceJSON(t, show.stdout); len(got.Skipped) != 1 || got.Skipped[0] != (problemJSON{"data/pipe", "skip", "named pipe"}) {
		t.Errorf("backup show --json: skipped = %+v\n%s", got.Skipped, show.stdout)
	}
}

type problemJSON struct {
	Path string `json:"path"`
	Op   string `json:"op"`
	Err  string `json:"error"`
}

type sourceNotes struct {
	Skipped    []problemJSON     `json:"skipped"`
	Incomplete []problemJSON     `json:"incomplete"`
	Links      map[string]string `json:"links"`
}

// sourceJSON is the first source of `backup show --json`.
func sourceJSON(t *testing.T, out string) sourceNotes {
	t.Helper()
	var m struct {
		Sources []sourceNotes `json:"sources"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || len(m.Sources) == 0 {
		t.Fatalf("backup show --json: %v\n%s", err, out)
	}
	return m.Sources[0]
}

// A configured path that is a named pipe is an error at plan time, not an
// empty snapshot.
func TestE2EFilesRootFIFO(t *testing.T) {
	p := newProject(t, filesPlanPaths(`["./pipe"]`))
	if err := syscall.Mkfifo(p.path("pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := p.run("plan")
	if r.code != 1 {
		t.Fatalf("plan of a named pipe: %s", r)
	}
	wantIn(t, "plan", r.stdout+r.stderr, "velin.hcl:7,", "is a named pipe")
	if r := p.run("backup", "create"); r.code != 1 {
		t.Fatalf("backup of a named pipe: %s", r)
	}
	if got := p.snapshots(); len(got) != 0 {
		t.Errorf("a snapshot was made: %+v", got)
	}
}

// A configured path that is a symlink to a directory is followed, and the
// link is noted in the manifest.
func TestE2EFilesRootSymlinkFollowed(t *testing.T) {
	p := newProject(t, filesPlanPaths(`["./current"]`))
	p.write("releases/v2/index.html", "v2")
	if err := os.Symlink("releases/v2", p.path("current")); err != nil {
		t.Fatal(err)
	}
	plan := p.must("plan")
	wantIn(t, "plan", plan.stdout, "1 files", "current is a symlink to releases/v2: followed")
	p.must("backup", "create")
	p.must("backup", "restore", "latest", "--to", p.path("out"), "--yes")
	if b, err := os.ReadFile(p.path("out/current/index.html")); err != nil || string(b) != "v2" {
		t.Fatalf("restored current/index.html: %q, %v", b, err)
	}
	show := p.must("backup", "show", "latest")
	wantIn(t, "backup show", show.stdout, "link:       current is a symlink to releases/v2 (followed)")
}

// plan, list, show and inspect agree on counts and sizes; a hard link is
// one file.
func TestE2EFilesCountsAgree(t *testing.T) {
	p := newProject(t, filesPlanPaths(`["./data"]`))
	p.write("data/a.txt", "hello world\n")
	p.write("data/sub/b.txt", strings.Repeat("b", 1000))
	if err := os.Link(p.path("data/a.txt"), p.path("data/sub/a-link.txt")); err != nil {
		t.Fatal(err)
	}
	const files, bytes = 2, 1012
	plan := p.must("plan")
	wantIn(t, "plan", plan.stdout, "2 files, 1.0 kB")
	p.must("backup", "create")
	snaps := p.snapshots()
	if len(snaps) != 1 || snaps[0].Sources[0].Files != files || snaps[0].Sources[0].Bytes != bytes {
		t.Errorf("backup list: %+v, want %d files, %d bytes", snaps, files, bytes)
	}
	show := p.must("backup", "show", "latest")
	wantIn(t, "backup show", show.stdout, "files:    2, 1.0 kB")
	r := p.must("backup", "inspect", "latest", "--json")
	var trees []struct {
		Dirs []struct {
			Path  string `json:"path"`
			Files int64  `json:"files"`
			Bytes int64  `json:"bytes"`
		} `json:"dirs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &trees); err != nil || len(trees) != 1 {
		t.Fatalf("inspect --json: %v\n%s", err, r.stdout)
	}
	for _, d := range trees[0].Dirs {
		if d.Path == "" && (d.Files != files || d.Bytes != bytes) {
			t.Errorf("inspect: %d files, %d bytes; want %d, %d", d.Files, d.Bytes, files, bytes)
		}
	}
	text := p.must("backup", "inspect", "latest").stdout
	if !regexp.MustCompile(`files\.data\s+2 files`).MatchString(text) {
		t.Errorf("inspect text disagrees:\n%s", text)
	}
}

// asUser runs velin in p as an unprivileged user when the tests run as
// root (root reads files whatever their mode), or as the current user.
func asUser(t *testing.T, p *project, args ...string) result {
	t.Helper()
	cmd := exec.Command(velinBin, args...)
	cmd.Dir, cmd.Env = p.dir, p.env
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run velin %v: %v", args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

const nobody = 65534

// giveToNobody lets the unprivileged user of asUser reach the binary and
// own the project (when the tests run as root).
func giveToNobody(t *testing.T, p *project) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	for _, d := range []string{filepath.Dir(velinBin), filepath.Dir(p.dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	err := filepath.WalkDir(p.dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, nobody, nobody)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A file or directory that cannot be read does not abort the backup: the
// snapshot is committed, names them as incomplete, and the run exits 3.
func TestE2EFilesUnreadableIsPartial(t *testing.T) {
	p := newProject(t, filesPlanPaths(`["./data"]`))
	p.write("data/ok.txt", "fine")
	p.write("data/secret.txt", "hidden")
	p.write("data/locked/inner.txt", "hidden too")
	giveToNobody(t, p)
	for _, q := range []string{"data/secret.txt", "data/locked"} {
		if err := os.Chmod(p.path(q), 0); err != nil {
			t.Fatal(err)
		}
	}
	defer os.Chmod(p.path("data/locked"), 0o755) // so that TempDir can remove it
	r := asUser(t, p, "backup", "create")
	if r.code != 3 {
		t.Fatalf("backup with unreadable entries: want exit 3, got %s", r)
	}
	wantIn(t, "backup warnings", r.stderr, "data/secret.txt", "data/locked", "permission denied")
	wantIn(t, "backup summary", r.stdout, "incomplete: data/locked: open:", "incomplete: data/secret.txt: open:")
	show := asUser(t, p, "backup", "show", "latest", "--json")
	if show.code != 0 {
		t.Fatalf("backup show: %s", show)
	}
	got := sourceJSON(t, show.stdout)
	if len(got.Incomplete) != 2 || got.Incomplete[0].Path != "data/locked" || got.Incomplete[1].Path != "data/secret.txt" {
		t.Errorf("manifest incomplete = %+v", got.Incomplete)
	}
	text := asUser(t, p, "backup", "show", "latest").stdout
	wantIn(t, "backup show", text, "incomplete: data/secret.txt: open:")
	js := asUser(t, p, "backup", "create", "--json")
	if js.code != 3 {
		t.Fatalf("backup create --json: want exit 3, got %s", js)
	}
	warnings := 0
	for _, line := range strings.Split(strings.TrimSpace(js.stdout), "\n") {
		var ev struct {
			Type, Message string
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not one JSON object per line: %q: %v", line, err)
		}
		if ev.Type == "warning" && strings.Contains(ev.Message, "data/secret.txt") {
			warnings++
		}
	}
	if warnings != 1 {
		t.Errorf("%d warning events name data/secret.txt:\n%s", warnings, js.stdout)
	}
	res := asUser(t, p, "backup", "restore", "latest", "--to", p.path("out"), "--yes")
	if res.code != 0 {
		t.Fatalf("restore: %s", res)
	}
	if b, err := os.ReadFile(p.path("out/data/ok.txt")); err != nil || string(b) != "fine" {
		t.Errorf("ok.txt restored as %q, %v", b, err)
	}
	if _, err := os.Stat(p.path("out/data/secret.txt")); err == nil {
		t.Error("an unreadable file was restored")
	}
}

// Names and symlink targets that are not UTF-8 (Latin-1) round-trip
// exactly; two of them never collide; verify --test-restore checks them.
func TestE2EFilesLatin1Names(t *testing.T) {
	p := newProject(t, filesPlanPaths(`["./data"]`))
	names := map[string]string{"caf\xe9.txt": "one", "caf\xe8.txt": "two", "r\xe9sum\xe9/cv.txt": "three", "café.txt": "utf-8"}
	for n, c := range names {
		p.write("data/"+n, c)
	}
	if err := os.Symlink("caf\xe9.txt", p.path("data/l\xe9")); err != nil {
		t.Fatal(err)
	}
	r := p.must("backup", "create")
	wantIn(t, "backup summary", r.stdout, "names and content hashes match")
	p.must("backup", "verify", "latest", "--test-restore")
	p.must("backup", "restore", "latest", "--to", p.path("out"), "--yes")
	for n, c := range names {
		if b, err := os.ReadFile(p.path("out/data/" + n)); err != nil || string(b) != c {
			t.Errorf("%q restored as %q, %v", n, b, err)
		}
	}
	if target, err := os.Readlink(p.path("out/data/l\xe9")); err != nil || target != "caf\xe9.txt" {
		t.Errorf("symlink restored to %q, %v", target, err)
	}
	if d := diffDigests(treeDigest(t, p.path("data")), treeDigest(t, p.path("out/data"))); len(d) > 0 {
		t.Errorf("restored tree differs:\n%s", strings.Join(d, "\n"))
	}
}
