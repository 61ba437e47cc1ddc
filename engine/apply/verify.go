package apply

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
	"github.com/velinhq/velin/providers/provider"
)

// testRestoreID names one test restore: lowercase letters and digits
// only, unique per snapshot, source and run.
func testRestoreID(m *repo.Manifest, sm repo.SourceManifest) string {
	var b strings.Builder
	for _, r := range strings.ToLower(m.ID + sm.Key) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	id := b.String()
	if len(id) > 24 {
		id = id[len(id)-24:]
	}
	return fmt.Sprintf("%s%x", id, time.Now().UnixNano()&0xffffff)
}

func (r *runner) verify(ctx context.Context, n *graph.Node) error {
	br, err := r.existing(n.Owner)
	if err != nil {
		return err
	}
	v := &repo.Verification{Time: r.ws.Now().UTC()}
	var problems []string
	if br.b.Verify.Checksums {
		if err := Checksums(ctx, br.repo, br.pending, v, nil); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if br.b.Verify.TestRestore {
		if err := TestRestore(ctx, r.ws, br.repo, br.pending, v); err != nil {
			problems = append(problems, err.Error())
		}
	}
	br.verified = v
	if len(problems) > 0 {
		return fmt.Errorf("verify %s: %s", br.pending.ID, strings.Join(problems, "; "))
	}
	return nil
}

// Checksums re-reads and authenticates every blob of m, records the result
// in v and returns an error naming what is damaged.
func Checksums(ctx context.Context, rp *repo.Repository, m *repo.Manifest, v *repo.Verification, progress func(int64)) error {
	start := time.Now()
	rep, err := rp.Check(ctx, []*repo.Manifest{m}, progress)
	c := repo.Check{Kind: "checksums", Status: "ok"}
	defer func() {
		c.DurationMS = time.Since(start).Milliseconds()
		v.Checks = append(v.Checks, c)
	}()
	if err != nil {
		v.Checksums = "failed: " + err.Error()
		c.Status, c.Error = "failed", err.Error()
		return fmt.Errorf("checksums: %w", err)
	}
	c.Counts = repo.CheckCounts{Blobs: int64(rep.Blobs), Files: int64(rep.Files), Bytes: rep.Bytes, Damaged: int64(len(rep.Damaged))}
	if len(rep.Damaged) > 0 {
		var names []string
		for _, d := range rep.Damaged {
			names = append(names, fmt.Sprintf("%s %s: %s", d.Source, d.Path, d.Err))
		}
		v.Checksums = fmt.Sprintf("failed: %d damaged", len(rep.Damaged))
		c.Status, c.Error = "failed", strings.Join(names, "; ")
		return fmt.Errorf("checksums: %d damaged: %s", len(rep.Damaged), strings.Join(names, "; "))
	}
	v.Checksums = fmt.Sprintf("ok: %d blobs, %s", rep.Blobs, bytesize.Format(rep.Bytes))
	return nil
}

// TestRestore restores every source of m into a temporary place, compares
// what it finds with the manifest and records the results in v.
func TestRestore(ctx context.Context, ws *workspace.Workspace, rp *repo.Repository, m *repo.Manifest, v *repo.Verification) error {
	if v.TestRestore == nil {
		v.TestRestore = map[string]string{}
	}
	var failed []string
	for _, sm := range m.Sources {
		start := time.Now()
		c := repo.Check{Kind: "test_restore", Source: sm.Key, Status: "ok"}
		res, counts, err := testRestoreOne(ctx, ws, rp, m, sm)
		c.DurationMS, c.Counts = time.Since(start).Milliseconds(), counts
		if err != nil {
			v.TestRestore[sm.Key] = "failed: " + ws.Redactor.Error(err)
			c.Status, c.Error = "failed", ws.Redactor.Error(err)
			v.Checks = append(v.Checks, c)
			failed = append(failed, sm.Key+": "+err.Error())
			continue
		}
		v.TestRestore[sm.Key] = res
		v.Checks = append(v.Checks, c)
	}
	if len(failed) > 0 {
		return fmt.Errorf("test restore: %s", strings.Join(failed, "; "))
	}
	return nil
}

func testRestoreOne(ctx context.Context, ws *workspace.Workspace, rp *repo.Repository, m *repo.Manifest, sm repo.SourceManifest) (string, repo.CheckCounts, error) {
	var counts repo.CheckCounts
	src, err := ws.Source(&sm)
	if err != nil {
		return "", counts, err
	}
	tree, err := rp.Tree(ctx, m, sm.Key)
	if err != nil {
		return "", counts, err
	}
	scratch, err := os.MkdirTemp("", "velin-test-restore-")
	if err != nil {
		return "", counts, err
	}
	defer os.RemoveAll(scratch)
	rep, err := src.TestRestore(ctx, tree, provider.TestRestoreOptions{Scratch: scratch, ID: testRestoreID(m, sm)})
	c := rep.Counts
	counts = repo.CheckCounts{Files: c.Files, Bytes: c.Bytes, Rows: c.Rows}
	if err != nil {
		return "", counts, err
	}
	if failed := rep.Failed(); len(failed) > 0 {
		var what []string
		for _, f := range failed {
			what = append(what, f.Name+": "+f.Detail)
		}
		return "", counts, fmt.Errorf("%w: %s", provider.ErrAssertion, strings.Join(what, "; "))
	}
	if c.Files != sm.Files || c.Bytes != sm.Bytes || c.Rows != sm.Rows {
		return "", counts, fmt.Errorf("restored %d files, %d bytes, %d rows; the manifest says %d files, %d bytes, %d rows",
			c.Files, c.Bytes, c.Rows, sm.Files, sm.Bytes, sm.Rows)
	}
	res := fmt.Sprintf("ok: %d files, %s", c.Files, bytesize.Format(c.Bytes))
	if c.Rows > 0 {
		res += fmt.Sprintf(", %d rows", c.Rows)
	}
	if c.Check != "" {
		res += ", " + c.Check
	}
	return res, counts, nil
}
