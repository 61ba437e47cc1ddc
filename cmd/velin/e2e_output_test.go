package main

import (
	"encoding/json"
	"regexp"
	"runtime"
	"strings"
	"testing"
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
		if !strings.Contains(r.stdout, "Examples:\n  velin") {
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
	if v := p.must("validate", "--json"); !strings.Contains(v.stdout, `"valid": true`) || !strings.Contains(v.stdout, `"diagnostics": []`) {
		t.Errorf("validate --json of a valid plan: %s", v)
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
