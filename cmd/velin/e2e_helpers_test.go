package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// velinBin is the binary built once by TestMain.
var velinBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "velin-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	velinBin = filepath.Join(dir, "velin")
	// The end-to-end tests drive the binary hundreds of times; built with
	// the race detector it is 5-10x slower, so it is built without unless
	// VELIN_E2E_RACE=1 (the engine's own tests always run with -race).
	args := []string{"build", "-o", velinBin, "."}
	if os.Getenv("VELIN_E2E_RACE") == "1" {
		args = []string{"build", "-race", "-o", velinBin, "."}
	}
	build := exec.Command("go", args...)
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build velin:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testPassphrase is the repositories' passphrase: a long one, or the one
// in VELIN_E2E_PASSPHRASE, so that `make test` can run the suite again with
// a 1- and a 3-character passphrase and show that short secrets do not
// mangle ordinary output (issue 6 §5).
var testPassphrase = cmp.Or(os.Getenv("VELIN_E2E_PASSPHRASE"), "correct-horse-battery-staple-e2e")

// searchable reports whether a secret is long enough to look for in output
// and files: a 1-character passphrase appears in ordinary text by nature.
func searchable(secret string) bool { return len(secret) >= 8 }

// project is a temporary directory holding a plan and its data.
type project struct {
	t   testing.TB
	dir string
	env []string
}

func newProject(t testing.TB, plan string) *project {
	t.Helper()
	p := &project{t: t, dir: t.TempDir()}
	// The binary is built with -race; its default 1 s pause at exit would
	// make every command slow.
	// Prune reclaims at once (no safety margin or grace period) unless a
	// test sets them again (e2e_prune_test.go).
	p.env = append(os.Environ(), "VELIN_PASSPHRASE="+testPassphrase, "GORACE=atexit_sleep_ms=0",
		"VELIN_PRUNE_MARGIN=0", "VELIN_PRUNE_GRACE=0",
		"VELIN_CACHE_DIR="+filepath.Join(t.TempDir(), "cache")) // never the user's cache
	p.write("velin.hcl", plan)
	return p
}

func (p *project) path(rel string) string { return filepath.Join(p.dir, rel) }

func (p *project) write(rel, content string) {
	p.t.Helper()
	full := p.path(rel)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// result is one finished velin command.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s\n--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// run runs velin in the project directory and returns its outcome.
func (p *project) run(args ...string) result {
	p.t.Helper()
	return p.runInput("", args...)
}

func (p *project) runInput(stdin string, args ...string) result {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, velinBin, args...)
	cmd.Dir = p.dir
	cmd.Env = p.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatalf("run velin %v: %v", args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// must runs velin and fails the test unless it exits 0.
func (p *project) must(args ...string) result {
	p.t.Helper()
	r := p.run(args...)
	if r.code != 0 {
		p.t.Fatalf("velin %s: %s", strings.Join(args, " "), r)
	}
	return r
}

type listed struct {
	ID      string `json:"ID"`
	Backup  string `json:"Backup"`
	Target  string `json:"target"`
	Parent  string `json:"Parent"`
	Sources []struct {
		Key   string `json:"Key"`
		Files int64  `json:"Files"`
		Bytes int64  `json:"Bytes"`
		Rows  int64  `json:"Rows"`
	} `json:"Sources"`
}

func (p *project) snapshots() []listed {
	p.t.Helper()
	r := p.must("backup", "list", "--json")
	var out []listed
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		p.t.Fatalf("backup list --json: %v\n%s", err, r.stdout)
	}
	return out
}

// treeDigest hashes every regular file, symlink and directory under root
// (names, kinds, modes, content), skipping names for which skip is true.
func treeDigest(t testing.TB, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "link:" + target
		case d.IsDir():
			out[rel] = fmt.Sprintf("dir:%v", info.Mode().Perm())
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			out[rel] = fmt.Sprintf("file:%v:%s", info.Mode().Perm(), hex.EncodeToString(sum[:8]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffDigests(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, fmt.Sprintf("%s: %q vs %q", k, v, b[k]))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, fmt.Sprintf("%s: only in second", k))
		}
	}
	sort.Strings(out)
	return out
}

func sqliteExec(t testing.TB, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func sqliteCount(t testing.TB, path, table string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// grepTree reports the files under root whose bytes contain needle.
func grepTree(t testing.TB, root, needle string) []string {
	t.Helper()
	var hits []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte(needle)) {
			hits = append(hits, p)
		}
		return nil
	})
	return hits
}
