package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/providers/provider"
)

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
	var asserted error
	if br.b.Verify.TestRestore {
		opts := TestRestoreOptions{Asserts: AssertsOf(br.b, br.pending), Note: func(msg string) {
			r.emit(Event{Type: "warning", Node: n.ID, Message: msg})
		}}
		if err := TestRestore(ctx, r.ws, br.repo, br.pending, v, opts); errors.Is(err, provider.ErrAssertion) {
			asserted = err
		} else if err != nil {
			problems = append(problems, err.Error())
		}
	}
	br.verified = v
	if len(problems) > 0 {
		if asserted != nil {
			problems = append(problems, asserted.Error())
		}
		return fmt.Errorf("verify %s: %s", br.pending.ID, strings.Join(problems, "; "))
	}
	if asserted != nil {
		// The commit tolerates this error: the snapshot is saved, marked
		// as not verified by the failed checks it records.
		return fmt.Errorf("verify %s: not verified, the snapshot is kept: %w", br.pending.ID, asserted)
	}
	return nil
}

// AssertsOf returns the assertions of backup b for each source of m, by
// source key.
func AssertsOf(b *config.Backup, m *repo.Manifest) map[string][]provider.Assert {
	out := map[string][]provider.Assert{}
	for _, sm := range m.Sources {
		if as := b.Verify.AssertsFor("source." + sm.Key); len(as) > 0 {
			out[sm.Key] = as
		}
	}
	return out
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
