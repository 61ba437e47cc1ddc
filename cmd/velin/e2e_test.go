package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// issuePlan is the plan from the issue, exactly as written (the quick
// start runs the same file).
func issuePlan(t testing.TB) string {
	b, err := os.ReadFile("../../examples/quickstart/velin.hcl")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// seedIssueProject creates the site and the database the issue's plan names.
func seedIssueProject(t testing.TB) *project {
	p := newProject(t, issuePlan(t))
	p.write("site/index.html", "<h1>home</h1>\n")
	p.write("site/blog/post-1.html", strings.Repeat("words words words\n", 500))
	p.write("site/blog/draft.tmp", "excluded\n")
	p.write("site/cache/c1", "excluded\n")
	p.write("site/ünïcode – name.txt", "unicode\n")
	if err := os.Symlink("index.html", p.path("site/home.html")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(p.path("site/empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	sqliteExec(t, p.path("app.db"),
		"CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT)",
		"INSERT INTO posts (title) VALUES ('a'), ('b'), ('c')")
	return p
}

func TestIssuePlanRoundTrip(t *testing.T) {
	p := seedIssueProject(t)
	p.must("validate")
	r := p.must("apply", "-auto-approve")
	if _, err := os.Stat(p.path("maintenance.flag")); err == nil {
		t.Fatal("finally step did not remove maintenance.flag")
	}
	snaps := p.snapshots()
	if len(snaps) != 1 || !strings.HasSuffix(snaps[0].ID, "-full") {
		t.Fatalf("snapshots after first apply: %+v\n%s", snaps, r)
	}
	show := p.must("backup", "show", snaps[0].ID[:10])
	for _, want := range []string{"files.site", "sqlite.app", "checksums:    ok", "test restore: files.site: ok", "rows:     3 in 1 tables"} {
		if !strings.Contains(show.stdout, want) {
			t.Errorf("backup show lacks %q:\n%s", want, show.stdout)
		}
	}
	// Change things and back up again, incrementally.
	p.write("site/index.html", "<h1>home v2</h1>\n")
	sqliteExec(t, p.path("app.db"), "INSERT INTO posts (title) VALUES ('d')")
	p.must("backup", "create")
	snaps = p.snapshots()
	if len(snaps) != 2 || snaps[1].Parent != snaps[0].ID {
		t.Fatalf("second snapshot should build on the first: %+v", snaps)
	}
	// Restore the first snapshot elsewhere and compare with what it held.
	p.must("backup", "restore", snaps[0].ID, "--to", p.path("restored"), "--yes")
	got := treeDigest(t, p.path("restored/site"))
	if _, ok := got["blog/draft.tmp"]; ok {
		t.Error("excluded *.tmp file was backed up")
	}
	if _, ok := got["cache"]; ok {
		t.Error("excluded cache/** was backed up")
	}
	b, _ := os.ReadFile(p.path("restored/site/index.html"))
	if string(b) != "<h1>home</h1>\n" {
		t.Errorf("restored index.html = %q", b)
	}
	if link, _ := os.Readlink(p.path("restored/site/home.html")); link != "index.html" {
		t.Errorf("symlink restored as %q", link)
	}
	if n := sqliteCount(t, p.path("restored/app.db"), "posts"); n != 3 {
		t.Errorf("restored posts = %d, want 3", n)
	}
	// The latest snapshot restores to exactly today's tree (minus exclusions).
	p.must("backup", "restore", "latest", "--to", p.path("latest"), "--yes")
	want := treeDigest(t, p.path("site"))
	delete(want, "blog/draft.tmp")
	delete(want, "cache")
	delete(want, "cache/c1")
	if d := diffDigests(want, treeDigest(t, p.path("latest/site"))); len(d) > 0 {
		t.Errorf("latest restore differs:\n%s", strings.Join(d, "\n"))
	}
	p.must("backup", "verify", "all", "--test-restore")
}

// normalize removes what changes from run to run from plan output.
func normalize(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "$DIR")
	s = regexp.MustCompile(`\d{8}-\d{4}-(full|incremental)(-\d+)?`).ReplaceAllString(s, "$$SNAPSHOT")
	s = regexp.MustCompile(`sqlite \d+\.\d+\.\d+`).ReplaceAllString(s, "sqlite $$VERSION")
	return s
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/velin -run %s -update to create it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (-update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestPlanGolden(t *testing.T) {
	p := seedIssueProject(t)
	first := p.run("plan", "-detailed-exitcode")
	if first.code != 2 {
		t.Fatalf("plan -detailed-exitcode with changes must exit 2: %s", first)
	}
	golden(t, "plan-first.txt", normalize(first.stdout, p.dir))
	p.must("apply", "-auto-approve")
	second := p.must("plan")
	golden(t, "plan-incremental.txt", normalize(second.stdout, p.dir))
	js := p.must("plan", "--json")
	if !strings.Contains(js.stdout, `"parent"`) || !strings.Contains(js.stdout, `"marker": "+"`) {
		t.Errorf("plan --json lacks parent or markers:\n%s", js.stdout)
	}
}

func TestPlanHasNoSideEffects(t *testing.T) {
	p := seedIssueProject(t)
	p.must("plan")
	for _, name := range []string{"backups", "maintenance.flag"} {
		if _, err := os.Stat(p.path(name)); err == nil {
			t.Errorf("plan created %s", name)
		}
	}
}

func TestSavedPlanAndStaleness(t *testing.T) {
	p := seedIssueProject(t)
	p.must("plan", "-out", "nightly.plan")
	p.must("apply", "nightly.plan")
	if n := len(p.snapshots()); n != 1 {
		t.Fatalf("apply of a saved plan made %d snapshots", n)
	}
	// The repository changed since this plan: it is stale.
	p.must("plan", "-out", "second.plan")
	p.must("backup", "create")
	r := p.run("apply", "second.plan")
	if r.code != 1 || !strings.Contains(r.stderr, "stale") || !strings.Contains(r.stderr, "repository") {
		t.Fatalf("stale plan (repository changed) was not refused: %s", r)
	}
	// The configuration changed since this plan: it is stale.
	p.must("plan", "-out", "third.plan")
	p.write("velin.hcl", strings.Replace(issuePlan(t), "keep_last  = 7", "keep_last  = 8", 1))
	r = p.run("apply", "third.plan")
	if r.code != 1 || !strings.Contains(r.stderr, "configuration") {
		t.Fatalf("stale plan (configuration changed) was not refused: %s", r)
	}
	if n := len(p.snapshots()); n != 2 {
		t.Fatalf("a refused plan must not back up: %d snapshots", n)
	}
}

func TestApplyAsksFirst(t *testing.T) {
	p := seedIssueProject(t)
	r := p.runInput("no\n", "apply")
	if r.code != 1 || !strings.Contains(r.stderr, "cancelled") {
		t.Fatalf("apply without yes must cancel: %s", r)
	}
	if _, err := os.Stat(p.path("backups")); err == nil {
		t.Fatal("a cancelled apply created the repository")
	}
	p.runInput("yes\n", "apply")
	if n := len(p.snapshots()); n != 1 {
		t.Fatalf("apply after yes made %d snapshots", n)
	}
}

// TestApplyJSONEvents checks that --json prints one JSON event per line and
// a final summary, and nothing else on stdout.
func TestApplyJSONEvents(t *testing.T) {
	p := seedIssueProject(t)
	r := p.must("apply", "-auto-approve", "--json")
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	var types []string
	var last map[string]any
	for dec.More() {
		var ev map[string]any
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("stdout is not a stream of JSON values: %v\n%s", err, r.stdout)
		}
		types = append(types, fmt.Sprint(ev["type"]))
		last = ev
	}
	joined := strings.Join(types, ",")
	if !strings.Contains(joined, "start") || !strings.Contains(joined, "done") || last["type"] != "summary" {
		t.Fatalf("event types %s; last %v", joined, last)
	}
	if last["failed"].(float64) != 0 || last["ok"].(float64) < 6 {
		t.Errorf("summary: %v", last)
	}
}
