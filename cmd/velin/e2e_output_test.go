package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// decodeLines decodes every line of s as one JSON object; a line that is
// not a whole object fails the test (streams are one object per line).
func decodeLines(t *testing.T, what, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: line is not one JSON object: %v\n%q\nall:\n%s", what, err, line, s)
		}
		out = append(out, m)
	}
	return out
}

func TestE2EOutputVersion(t *testing.T) {
	p := newProject(t, "")
	r := p.must("version", "--json")
	var v map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("version --json: %v\n%s", err, r)
	}
	for _, k := range []string{"version", "commit", "go_version", "os", "arch"} {
		if s, _ := v[k].(string); s == "" {
			t.Errorf("version --json lacks %q: %v", k, v)
		}
	}
	if v["go_version"] != runtime.Version() || v["os"] != runtime.GOOS || v["arch"] != runtime.GOARCH {
		t.Errorf("version --json: %v", v)
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := p.must(args...)
		for _, want := range []string{"velin " + v["version"].(string), "commit:", runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("velin %s lacks %q:\n%s", args[0], want, r.stdout)
			}
		}
	}
}

// commandsOf lists the subcommands a help text names under "Available Commands".
func commandsOf(help string) []string {
	var out []string
	in := false
	for _, line := range strings.Split(help, "\n") {
		switch {
		case strings.HasPrefix(line, "Available Commands:"):
			in = true
		case in && strings.TrimSpace(line) == "":
			in = false
		case in:
			name := strings.Fields(line)[0]
			if name != "help" && name != "completion" { // cobra's own
				out = append(out, name)
			}
		}
	}
	return out
}

// flagLine is a well-formed flag line of a help text: the flag, at most one
// placeholder word, then the description.
// hasExample matches a help text's examples section with a velin command.
var hasExample = regexp.MustCompile(`Examples:\n  [^\n]*\bvelin\b`)

var flagLine = regexp.MustCompile(`^\s+(-\w, )?--[a-z][a-z0-9-]*( [A-Za-z]+)?\s{2,}\S`)

// TestE2EOutputHelp walks every command's --help: each renders its flags
// correctly (a backquoted usage string once turned `--out FILE` into
// `--out velin apply FILE`) and shows at least one example.
func TestE2EOutputHelp(t *testing.T) {
	p := newProject(t, "")
	queue := [][]string{{}}
	seen := 0
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		r := p.must(append(append([]string{}, path...), "--help")...)
		seen++
		name := "velin " + strings.Join(path, " ")
		if !hasExample.MatchString(r.stdout) {
			t.Errorf("%s --help has no example:\n%s", name, r.stdout)
		}
		inFlags := false
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.HasSuffix(line, "Flags:") {
				inFlags = true
				continue
			}
			if inFlags && strings.HasPrefix(strings.TrimSpace(line), "-") && !flagLine.MatchString(line) {
				t.Errorf("%s --help: malformed flag line %q", name, line)
			}
		}
		for _, sub := range commandsOf(r.stdout) {
			queue = append(queue, append(append([]string{}, path...), sub))
		}
	}
	if seen < 12 {
		t.Fatalf("walked only %d commands", seen)
	}
	r := p.must("plan", "--help")
	if !strings.Contains(r.stdout, "--out FILE ") {
		t.Errorf("plan --help: -out should read `--out FILE`:\n%s", r.stdout)
	}
}

const brokenPlan = `target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}

source "files" "site" {
  pathz = ["./site"]
}
`

// TestE2EOutputJSONDiagnostics: with --json, configuration mistakes and
// errors are JSON objects with severity, summary, detail and range.
func TestE2EOutputJSONDiagnostics(t *testing.T) {
	p := newProject(t, brokenPlan)
	r := p.run("validate", "--json")
	if r.code != 1 {
		t.Fatalf("validate --json of a broken plan: %s", r)
	}
	var v struct {
		Valid       bool             `json:"valid"`
		ErrorCount  int              `json:"error_count"`
		Diagnostics []map[string]any `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("validate --json: %v\n%s", err, r)
	}
	if v.Valid || v.ErrorCount < 1 || len(v.Diagnostics) != v.ErrorCount {
		t.Fatalf("validate --json: %+v", v)
	}
	checkDiag(t, v.Diagnostics[0])
	r = p.run("plan", "--json")
	if r.code != 1 || r.stdout != "" {
		t.Fatalf("plan --json of a broken plan: %s", r)
	}
	diags := decodeLines(t, "plan --json stderr", r.stderr)
	checkDiag(t, diags[0])

	// A runtime error (no such snapshot) is one JSON object with its exit code.
	p.write("velin.hcl", strings.Replace(brokenPlan, "pathz", "paths", 1))
	p.write("site/a.txt", "a\n")
	r = p.run("backup", "show", "nosuch", "--json")
	if r.code != 1 || r.stdout != "" {
		t.Fatalf("backup show nosuch --json: %s", r)
	}
	errs := decodeLines(t, "backup show stderr", r.stderr)
	last := errs[len(errs)-1]
	if last["severity"] != "error" || !strings.Contains(last["summary"].(string), "nosuch") || last["exit_code"] != 1.0 {
		t.Errorf("error object: %v", last)
	}
	// A short passphrase (VELIN_E2E_PASSPHRASE) rightly adds a warning.
	vj := p.must("validate", "--json")
	if !strings.Contains(vj.stdout, `"valid": true`) || !strings.Contains(vj.stdout, `"error_count": 0`) ||
		(searchable(testPassphrase) && !strings.Contains(vj.stdout, `"diagnostics": []`)) {
		t.Errorf("validate --json of a valid plan: %s", vj)
	}
}

func checkDiag(t *testing.T, d map[string]any) {
	t.Helper()
	rng, _ := d["range"].(map[string]any)
	start, _ := rng["start"].(map[string]any)
	end, _ := rng["end"].(map[string]any)
	if d["severity"] != "error" || !strings.Contains(d["summary"].(string), "Unsupported argument") ||
		rng["filename"] != "velin.hcl" || start["line"] != 7.0 || start["column"] != 3.0 || end["line"] != 7.0 || start["byte"] == nil {
		t.Errorf("diagnostic: %v", d)
	}
	if _, ok := d["detail"].(string); !ok {
		t.Errorf("diagnostic without detail: %v", d)
	}
}

// writeRandom writes n files of size bytes of incompressible data under dir.
func writeRandom(t *testing.T, p *project, dir string, n, size int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(n), uint64(size)))
	buf := make([]byte, size)
	for i := range n {
		for j := range buf {
			buf[j] = byte(rng.Uint32())
		}
		p.write(fmt.Sprintf("%s/f%03d.bin", dir, i), string(buf))
	}
}

var snakeKey = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// checkSnake fails the test for any object key that is not snake_case.
func checkSnake(t *testing.T, what string, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if !snakeKey.MatchString(k) {
				t.Errorf("%s: key %q is not snake_case", what, k)
			}
			if k == "repos" || k == "details" {
				continue // maps keyed by data (target addresses, provider facts)
			}
			checkSnake(t, what, e)
		}
	case []any:
		for _, e := range x {
			checkSnake(t, what, e)
		}
	}
}

// TestE2EOutputApplyJSONStream: apply --json is one JSON object per line,
// each node starts and ends once, progress events carry bytes and files
// done and total, and the summary's verification results are objects.
func TestE2EOutputApplyJSONStream(t *testing.T) {
	p := seedIssueProject(t)
	writeRandom(t, p, "site/big", 8, 2<<20)
	r := p.must("apply", "-auto-approve", "--json")
	events := decodeLines(t, "apply --json", r.stdout)
	seen := map[string]int{}
	var progress, snapshot, summary map[string]any
	for _, e := range events {
		checkSnake(t, "apply --json", e)
		switch e["type"] {
		case "start", "done":
			seen[fmt.Sprint(e["type"], " ", e["node"])]++
		case "progress":
			progress = e
		case "snapshot":
			snapshot = e
		case "summary":
			summary = e
		default:
			t.Errorf("unknown event %v", e)
		}
		if ts, _ := e["time"].(string); !regexp.MustCompile(`(Z|[+-]\d\d:\d\d)$`).MatchString(ts) {
			t.Errorf("event time without zone: %v", e)
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s reported %d times", k, n)
		}
	}
	if len(seen) < 12 {
		t.Errorf("only %d start/done events: %v", len(seen), seen)
	}
	if progress == nil {
		t.Fatalf("no progress event:\n%s", r.stdout)
	}
	for _, k := range []string{"bytes_done", "bytes_total", "files_done", "files_total"} {
		if _, ok := progress[k].(float64); !ok {
			t.Errorf("progress event lacks %s: %v", k, progress)
		}
	}
	if progress["bytes_total"].(float64) < 16<<20 || progress["files_total"].(float64) < 10 {
		t.Errorf("progress totals: %v", progress)
	}
	if progress["bytes_done"] != progress["bytes_total"] || progress["files_done"] != progress["files_total"] {
		t.Errorf("the last progress event should reach the totals: %v", progress)
	}
	if snapshot == nil || snapshot["snapshot"] == "" || snapshot["stats"] == nil {
		t.Fatalf("no snapshot event with stats: %v", snapshot)
	}
	if events[len(events)-1]["type"] != "summary" || summary["status"] != "ok" || summary["exit_code"] != 0.0 {
		t.Fatalf("summary: %v", summary)
	}
	snaps := summary["snapshots"].([]any)
	if len(snaps) != 1 || summary["forgotten"] == nil {
		t.Fatalf("summary snapshots/forgotten: %v", summary)
	}
	v := snaps[0].(map[string]any)["verification"].(map[string]any)
	checks := v["checks"].([]any)
	if v["status"] != "ok" || len(checks) != 3 {
		t.Fatalf("verification: %v", v)
	}
	for _, c := range checks {
		c := c.(map[string]any)
		counts, _ := c["counts"].(map[string]any)
		if c["status"] != "ok" || c["kind"] == nil || counts == nil || c["duration_ms"] == nil {
			t.Errorf("check: %v", c)
		}
		if c["kind"] == "checksums" && counts["blobs"].(float64) < 8 {
			t.Errorf("checksums counts: %v", c)
		}
	}
	// The listing commands are snake_case too and carry the same objects.
	var list []any
	if err := json.Unmarshal([]byte(p.must("backup", "list", "--json").stdout), &list); err != nil {
		t.Fatal(err)
	}
	checkSnake(t, "backup list --json", list)
	var show map[string]any
	if err := json.Unmarshal([]byte(p.must("backup", "show", "latest", "--json").stdout), &show); err != nil {
		t.Fatal(err)
	}
	checkSnake(t, "backup show --json", show)
	if show["verification"].(map[string]any)["status"] != "ok" {
		t.Errorf("show --json verification: %v", show["verification"])
	}
	var pl map[string]any
	if err := json.Unmarshal([]byte(p.must("plan", "--json").stdout), &pl); err != nil {
		t.Fatal(err)
	}
	checkSnake(t, "plan --json", pl)
	var gr struct {
		Nodes []struct {
			ID        string   `json:"id"`
			DependsOn []string `json:"depends_on"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(p.must("graph", "--json").stdout), &gr); err != nil || len(gr.Nodes) < 6 {
		t.Fatalf("graph --json: %v %+v", err, gr)
	}
	vr := decodeLines(t, "verify --json", p.must("backup", "verify", "all", "--json").stdout)
	if len(vr) != 1 || vr[0]["ok"] != true || vr[0]["verification"].(map[string]any)["status"] != "ok" {
		t.Errorf("verify --json: %v", vr)
	}
}

// TestE2EOutputBackupStats: a backup says how many files are new, changed
// and unmodified, what it read and what it added, in text and JSON.
func TestE2EOutputBackupStats(t *testing.T) {
	p := seedIssueProject(t)
	r := p.must("apply", "-auto-approve")
	for _, want := range []string{"files:        4 new, 0 changed, 0 unmodified", "read:", "added:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("first backup lacks %q:\n%s", want, r.stdout)
		}
	}
	p.write("site/index.html", "<h1>home v2</h1>\n")
	p.write("site/new.txt", "new\n")
	r = p.must("backup", "create", "--json")
	lines := decodeLines(t, "backup create --json", r.stdout)
	sum := lines[len(lines)-1]
	stats := sum["snapshots"].([]any)[0].(map[string]any)["stats"].(map[string]any)
	// The site's files: index.html changed, new.txt new, two unmodified;
	// the database is read again and is identical (one unmodified file).
	if stats["files_new"] != 1.0 || stats["files_changed"] != 1.0 || stats["files_unmodified"] != 3.0 {
		t.Errorf("incremental stats: %v", stats)
	}
	for _, k := range []string{"bytes_read", "bytes_added", "bytes_stored", "duration_ms"} {
		if _, ok := stats[k].(float64); !ok {
			t.Errorf("stats lack %s: %v", k, stats)
		}
	}
	if stats["bytes_added"].(float64) <= 0 || stats["bytes_read"].(float64) < stats["bytes_added"].(float64) {
		t.Errorf("bytes: %v", stats)
	}
	// A full backup of unchanged data compares with the latest snapshot.
	r = p.must("backup", "create", "--strategy", "full")
	if !strings.Contains(r.stdout, "files:        0 new, 0 changed, 5 unmodified") || !strings.Contains(r.stdout, "added:        0 B") {
		t.Errorf("full backup of unchanged data:\n%s", r.stdout)
	}
	show := p.must("backup", "show", "latest")
	if !strings.Contains(show.stdout, "0 new, 0 changed, 5 unmodified") {
		t.Errorf("backup show lacks the statistics:\n%s", show.stdout)
	}
}

// TestE2EOutputInterrupted: Ctrl-C during a backup exits 130 and the
// summary says "interrupted", in JSON and in text.
func TestE2EOutputInterrupted(t *testing.T) {
	p := newProject(t, slowPlan)
	p.write("velin.hcl", strings.Replace(slowPlan, "sleep 60", "true", 1))
	writeRandom(t, p, "site", 24, 2<<20)
	cmd := exec.Command(velinBin, "apply", "-auto-approve", "--json")
	cmd.Dir, cmd.Env = p.dir, p.env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	var out []string
	signalled := false
	for sc.Scan() {
		out = append(out, sc.Text())
		if !signalled && strings.Contains(sc.Text(), `"type":"progress"`) {
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			signalled = true
		}
	}
	err = cmd.Wait()
	all := strings.Join(out, "\n")
	if !signalled {
		t.Fatalf("no progress event to interrupt at:\n%s\n%s", all, stderr.String())
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("interrupted apply: %v, want exit 130\n%s\n%s", err, all[max(0, len(all)-3000):], stderr.String())
	}
	events := decodeLines(t, "interrupted apply --json", all)
	sum := events[len(events)-1]
	if sum["type"] != "summary" || sum["status"] != "interrupted" || sum["exit_code"] != 130.0 {
		t.Errorf("summary after Ctrl-C: %v", sum)
	}

	// In text, during a step of the backup.
	p.write("velin.hcl", slowPlan)
	if err := os.Remove(p.path("started")); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(velinBin, "apply", "-auto-approve")
	cmd.Dir, cmd.Env = p.dir, p.env
	var text strings.Builder
	cmd.Stdout, cmd.Stderr = &text, &text
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(p.path("started")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the before step never started:\n%s", text.String())
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("interrupted apply: %v, want exit 130\n%s", err, text.String())
	}
	if !strings.Contains(text.String(), "Apply interrupted") || strings.Contains(text.String(), "FAILED") {
		t.Errorf("the summary after Ctrl-C must say interrupted, not failed:\n%s", text.String())
	}
}

// TestE2EOutputBrowse: backup ls, find, diff and stats.
func TestE2EOutputBrowse(t *testing.T) {
	p := seedIssueProject(t)
	p.must("apply", "-auto-approve")
	first := p.snapshots()[0].ID
	p.write("site/index.html", "<h1>home v2, longer</h1>\n")
	p.write("site/blog/post-2.html", "second post\n")
	if err := os.Remove(p.path("site/ünïcode – name.txt")); err != nil {
		t.Fatal(err)
	}
	p.must("backup", "create")

	// ls: every entry, or those under a path; files, links and directories.
	ls := p.must("backup", "ls", first).stdout
	for _, want := range []string{"files.site/site/index.html", "files.site/site/blog/", "files.site/site/blog/post-1.html", "files.site/site/home.html -> index.html", "files.site/site/empty/", "sqlite.app/"} {
		if !strings.Contains(ls, want) {
			t.Errorf("backup ls lacks %q:\n%s", want, ls)
		}
	}
	if !regexp.MustCompile(`\d\d:\d\d:\d\d [+-]\d\d:\d\d`).MatchString(ls) {
		t.Errorf("backup ls times without zone:\n%s", ls)
	}
	sub := decodeLines(t, "backup ls --json", p.must("backup", "ls", "latest", "files.site/site/blog", "--json").stdout)
	var paths []string
	for _, e := range sub {
		checkSnake(t, "ls --json", e)
		paths = append(paths, e["path"].(string))
	}
	if strings.Join(paths, ",") != "site/blog,site/blog/post-1.html,site/blog/post-2.html" {
		t.Errorf("ls latest files.site/blog: %v", paths)
	}
	if r := p.run("backup", "ls", "latest", "nosuch"); r.code != 1 || !strings.Contains(r.stderr, "nosuch") {
		t.Errorf("ls of a missing path: %s", r)
	}

	// find: files (not only directories), in every snapshot.
	found := decodeLines(t, "find --json", p.must("backup", "find", "*.html", "--json").stdout)
	got := map[string]int{}
	for _, e := range found {
		got[e["path"].(string)]++
	}
	if got["site/index.html"] != 2 || got["site/blog/post-1.html"] != 2 || got["site/blog/post-2.html"] != 1 || got["site/home.html"] != 2 || len(got) != 4 {
		t.Errorf("find *.html: %v", got)
	}
	if r := p.must("backup", "find", "site/blog/post-2*", "--snapshot", first); strings.Contains(r.stdout, "post-2") {
		t.Errorf("find in the first snapshot found a later file: %s", r)
	}

	// diff: added, removed, modified; the database is unchanged.
	d := p.must("backup", "diff", first, "latest").stdout
	for _, want := range []string{"+    files.site/site/blog/post-2.html", "-    files.site/site/ünïcode – name.txt", "M    files.site/site/index.html", "1 added, 1 removed, 1 modified"} {
		if !strings.Contains(d, want) {
			t.Errorf("backup diff lacks %q:\n%s", want, d)
		}
	}
	if strings.Contains(d, "post-1.html") || strings.Contains(d, "sqlite.app") {
		t.Errorf("backup diff lists unchanged entries:\n%s", d)
	}
	var dj struct {
		Changes []map[string]any `json:"changes"`
		Summary map[string]any   `json:"summary"`
	}
	if err := json.Unmarshal([]byte(p.must("backup", "diff", first, "latest", "--json").stdout), &dj); err != nil {
		t.Fatal(err)
	}
	if dj.Summary["added"] != 1.0 || dj.Summary["removed"] != 1.0 || dj.Summary["modified"] != 1.0 {
		t.Errorf("diff --json: %+v", dj)
	}
	if same := p.must("backup", "diff", "latest", "latest", "--json").stdout; !strings.Contains(same, `"changes": []`) {
		t.Errorf("diff of a snapshot with itself: %s", same)
	}

	// stats: snapshots, restore size, stored bytes.
	var st []map[string]any
	if err := json.Unmarshal([]byte(p.must("backup", "stats", "--json").stdout), &st); err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0]["snapshots"] != 2.0 || st[0]["restore_size"].(float64) <= 0 || st[0]["stored_bytes"].(float64) <= 0 || st[0]["files"] != 8.0 {
		t.Errorf("stats --json: %v", st)
	}
	if s := p.must("backup", "stats").stdout; !strings.Contains(s, "snapshots:     2") || !strings.Contains(s, "in 8 files") {
		t.Errorf("stats:\n%s", s)
	}
}

// TestE2EOutputQuietVerbose: -q prints only results and errors, -v also
// each action as it starts and per-source details.
func TestE2EOutputQuietVerbose(t *testing.T) {
	p := seedIssueProject(t)
	q := p.must("apply", "-auto-approve", "-q")
	if strings.Contains(q.stderr, "  ok ") || strings.Contains(q.stderr, "start") {
		t.Errorf("-q printed per-action lines:\n%s", q.stderr)
	}
	if !strings.Contains(q.stdout, "Apply complete") {
		t.Errorf("-q lost the result:\n%s", q)
	}
	v := p.must("backup", "create", "--verbose")
	if !strings.Contains(v.stderr, "  start backup.nightly/source.files.site") || !strings.Contains(v.stderr, "  ok    backup.nightly/source.files.site") {
		t.Errorf("-v lacks start and done lines:\n%s", v.stderr)
	}
	if !strings.Contains(v.stdout, "  source files.site: 3 files") {
		t.Errorf("-v lacks per-source details:\n%s", v.stdout)
	}
	if r := p.run("validate", "-q", "-v"); r.code != 1 || !strings.Contains(r.stderr, "exclude each other") {
		t.Errorf("-q -v together: %s", r)
	}
	if r := p.must("init", "--json", "-f", "sub"); !strings.Contains(r.stdout, `"written"`) {
		t.Errorf("init --json: %s", r)
	}
}

// TestE2EOutputExitCodes: a wrong passphrase is exit code 12 on every
// command that opens the repository, plan and apply included.
func TestE2EOutputExitCodes(t *testing.T) {
	p := seedIssueProject(t)
	p.must("apply", "-auto-approve")
	p.env = append(withoutEnv(p.env, "VELIN_PASSPHRASE"), "VELIN_PASSPHRASE=not-the-right-passphrase")
	for _, args := range [][]string{
		{"plan"}, {"apply", "-auto-approve"}, {"backup", "create"}, {"backup", "list"},
		{"backup", "show", "latest"}, {"backup", "verify", "all"}, {"backup", "ls", "latest"},
		{"backup", "find", "*"}, {"backup", "diff", "latest", "latest"}, {"backup", "stats"},
	} {
		r := p.run(args...)
		if r.code != 12 {
			t.Errorf("velin %s with a wrong passphrase: exit %d, want 12\n%s", strings.Join(args, " "), r.code, r)
		}
	}
	r := p.run("plan", "--json")
	errs := decodeLines(t, "plan --json stderr", r.stderr)
	if last := errs[len(errs)-1]; r.code != 12 || last["exit_code"] != 12.0 || !strings.Contains(last["summary"].(string), "passphrase") {
		t.Errorf("plan --json with a wrong passphrase: %s", r)
	}
}
