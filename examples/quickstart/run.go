package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/velinhq/velin/cmd/velin/cli"
)

//go:embed velin.hcl
var planFile []byte

// demoPassphrase encrypts the quick start's repository. Real plans take it
// from the environment, as this one does (env("VELIN_PASSPHRASE")).
const demoPassphrase = "quickstart-demo-passphrase"

// result is what a run found, for the test.
type result struct {
	Snapshots []string
	Changed   []string // paths whose content differs between the first snapshot and now
	OnlyNow   []string // paths that are not in the first snapshot
	RowsThen  int64
	RowsNow   int64
}

// run performs the whole quick start in dir, narrating on out.
func run(ctx context.Context, dir string, out io.Writer) (*result, error) {
	q := &quick{ctx: ctx, dir: dir, out: out}
	fmt.Fprintf(out, "velin quick start in %s\n\n", dir)
	steps := []func() error{q.prepare, q.firstBackup, q.change, q.secondBackup, q.verify, q.restore, q.compare}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(out, "\nDone. Everything is in %s:\n  velin.hcl (the plan), backups/ (the encrypted repository), restored/ (the first snapshot).\n"+
		"Explore it with the CLI (the demo passphrase is in examples/quickstart/run.go):\n"+
		"  export VELIN_PASSPHRASE=...\n  go run ./cmd/velin -f %s backup inspect latest\n", dir, dir)
	return &q.res, nil
}

type quick struct {
	ctx context.Context
	dir string
	out io.Writer
	res result
}

// velin runs one CLI command in the work directory, echoing it and its output.
func (q *quick) velin(args ...string) (string, error) {
	fmt.Fprintf(q.out, "\n$ velin %s\n", strings.Join(args, " "))
	return q.velinTo(io.MultiWriter(q.out), q.out, args...)
}

// velinQuiet runs a command whose output the example reads, not shows.
func (q *quick) velinQuiet(args ...string) (string, error) {
	return q.velinTo(io.Discard, io.Discard, args...)
}

func (q *quick) velinTo(out, errOut io.Writer, args ...string) (string, error) {
	var stdout bytes.Buffer
	env := cli.Env{
		Stdin:   strings.NewReader(""),
		Stdout:  io.MultiWriter(&stdout, out),
		Stderr:  errOut,
		Environ: append(os.Environ(), "VELIN_PASSPHRASE="+demoPassphrase),
	}
	code := cli.Run(q.ctx, append([]string{"-f", q.dir}, args...), env)
	if code != 0 {
		return stdout.String(), fmt.Errorf("velin %s: exit code %d", strings.Join(args, " "), code)
	}
	return stdout.String(), nil
}

func (q *quick) prepare() error {
	fmt.Fprintln(q.out, "1. Sample data: a small site (site/) and a SQLite database (app.db).")
	if err := os.WriteFile(filepath.Join(q.dir, "velin.hcl"), planFile, 0o644); err != nil {
		return err
	}
	if err := writeSite(filepath.Join(q.dir, "site")); err != nil {
		return err
	}
	return createDB(q.ctx, filepath.Join(q.dir, "app.db"))
}

func (q *quick) firstBackup() error {
	fmt.Fprintln(q.out, "\n2. The first backup: plan, then apply.")
	if _, err := q.velin("plan"); err != nil {
		return err
	}
	_, err := q.velin("apply", "-auto-approve")
	return err
}

func (q *quick) change() error {
	fmt.Fprintln(q.out, "\n3. Something changes: a page is edited, a post is added.")
	page := filepath.Join(q.dir, "site", "index.html")
	if err := os.WriteFile(page, []byte("<h1>Hello again, velin</h1>\n<p>Edited after the first backup.</p>\n"), 0o644); err != nil {
		return err
	}
	return addPost(q.ctx, filepath.Join(q.dir, "app.db"), "A second post")
}

func (q *quick) secondBackup() error {
	fmt.Fprintln(q.out, "\n4. The second backup is incremental: unchanged files are not read again.")
	if _, err := q.velin("backup", "create"); err != nil {
		return err
	}
	if _, err := q.velin("backup", "list"); err != nil {
		return err
	}
	js, err := q.velinQuiet("backup", "list", "--json")
	if err != nil {
		return err
	}
	var list []struct{ ID string }
	if err := json.Unmarshal([]byte(js), &list); err != nil {
		return fmt.Errorf("read backup list: %w", err)
	}
	for _, s := range list {
		q.res.Snapshots = append(q.res.Snapshots, s.ID)
	}
	if len(list) != 2 {
		return fmt.Errorf("expected 2 snapshots, found %d", len(list))
	}
	return nil
}

func (q *quick) verify() error {
	fmt.Fprintln(q.out, "\n5. Verify: every chunk is read back and authenticated; each source is test-restored.")
	_, err := q.velin("backup", "verify", "all", "--test-restore")
	return err
}

func (q *quick) restore() error {
	fmt.Fprintln(q.out, "\n6. Restore the first snapshot into a new directory.")
	if _, err := q.velin("backup", "inspect", q.res.Snapshots[0]); err != nil {
		return err
	}
	_, err := q.velin("backup", "restore", q.res.Snapshots[0], "--to", filepath.Join(q.dir, "restored"), "--yes")
	return err
}

func (q *quick) compare() error {
	fmt.Fprintln(q.out, "\n7. What differs between the first snapshot (restored/) and now:")
	d, err := diffTrees(filepath.Join(q.dir, "restored", "site"), filepath.Join(q.dir, "site"))
	if err != nil {
		return err
	}
	q.res.Changed, q.res.OnlyNow = d.Changed, d.OnlyB
	for _, c := range d.Changed {
		fmt.Fprintf(q.out, "   changed since:  site/%s\n", c)
	}
	for _, c := range d.OnlyB {
		fmt.Fprintf(q.out, "   not backed up:  site/%s (excluded by the plan)\n", c)
	}
	if q.res.RowsThen, err = countPosts(q.ctx, filepath.Join(q.dir, "restored", "app.db")); err != nil {
		return err
	}
	if q.res.RowsNow, err = countPosts(q.ctx, filepath.Join(q.dir, "app.db")); err != nil {
		return err
	}
	fmt.Fprintf(q.out, "   app.db posts: %d in the first snapshot, %d now\n", q.res.RowsThen, q.res.RowsNow)
	return nil
}
