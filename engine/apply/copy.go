package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/forget"
	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
)

// ErrNoSourceRepository means the target to copy from holds no repository.
var ErrNoSourceRepository = errors.New("no repository there yet")

// CopySnapshot copies snapshot id (or a unique prefix) of target from to
// target to, creating to's repository as a copy target when it has none.
// Both are locked shared, as for a backup; nothing is deleted anywhere.
func CopySnapshot(ctx context.Context, ws *workspace.Workspace, from, to, id string) (*repo.CopyStats, error) {
	if from == to {
		return nil, fmt.Errorf("copy: %s is both the source and the destination; name another target", from)
	}
	src, err := ws.Repo(ctx, from, false)
	if err != nil {
		return nil, err
	}
	if src == nil {
		return nil, fmt.Errorf("copy from %s: %w", from, ErrNoSourceRepository)
	}
	dst, err := ws.CopyTarget(ctx, to, src)
	if err != nil {
		return nil, err
	}
	var out *repo.CopyStats
	err = copyLocked(ctx, src, dst, []string{id}, func(st *repo.CopyStats) { out = st })
	return out, err
}

// copyLocked copies ids from src to dst under a shared lock on each,
// calling done after each copy.
func copyLocked(ctx context.Context, src, dst *repo.Repository, ids []string, done func(*repo.CopyStats)) error {
	sl, err := src.Lock(ctx, false)
	if err != nil {
		return err
	}
	defer sl.Unlock(context.WithoutCancel(ctx))
	dl, err := dst.Lock(ctx, false)
	if err != nil {
		return err
	}
	defer dl.Unlock(context.WithoutCancel(ctx))
	for _, id := range ids {
		st, err := repo.Copy(ctx, src, dst, id)
		if err != nil {
			return err
		}
		done(st)
	}
	return nil
}

// Missing lists the snapshots of backup b made by this host in src that
// dst lacks, oldest first: what a copy_to run copies.
func Missing(ctx context.Context, src, dst *repo.Repository, b *config.Backup) ([]string, error) {
	have := map[string]bool{}
	snaps, err := dst.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range snaps {
		have[m.ID] = true
	}
	if snaps, err = src.Snapshots(ctx); err != nil {
		return nil, err
	}
	var ids []string
	for _, m := range snaps {
		if m.Backup == b.Name && src.Mine(m) && !have[m.ID] {
			ids = append(ids, m.ID)
		}
	}
	return ids, nil
}

// DescribeCopy is one line about a copy, for output.
func DescribeCopy(st *repo.CopyStats, to string) string {
	switch {
	case st.Present:
		return fmt.Sprintf("snapshot %s is on %s already", st.ID, to)
	case st.Rechunked:
		return fmt.Sprintf("copied %s to %s, re-chunked (the target chunks differently): %s added",
			st.ID, to, bytesize.Format(st.Stored))
	}
	return fmt.Sprintf("copied %s to %s: %d blobs (%s) sent, %d present", st.ID, to, st.Blobs, bytesize.Format(st.Stored), st.Reused)
}

// copyTo is a copy_to node: every snapshot of the backup the copy target
// lacks (the new one and any an earlier failed copy left out), then the
// target's own retention.
func (r *runner) copyTo(ctx context.Context, n *graph.Node) error {
	br, err := r.existing(n.Owner)
	if err != nil {
		return err
	}
	dst, err := r.ws.CopyTarget(ctx, n.Addr, br.repo)
	if err != nil {
		return fmt.Errorf("copy to %s: %w", n.Addr, err)
	}
	ids, err := Missing(ctx, br.repo, dst, br.b)
	if err != nil {
		return fmt.Errorf("copy to %s: %w", n.Addr, err)
	}
	err = copyLocked(ctx, br.repo, dst, ids, func(st *repo.CopyStats) {
		r.emit(Event{Type: "copy", Node: n.ID, Snapshot: st.ID, Message: DescribeCopy(st, n.Addr)})
	})
	if err != nil {
		return fmt.Errorf("copy to %s: %w", n.Addr, err)
	}
	for _, tr := range br.b.RetentionTargets() {
		if tr.Target == n.Addr {
			return r.retain(ctx, dst, tr.Backup)
		}
	}
	return nil
}

// retain applies b's retention to the repository dst (the primary target,
// or a copy target whose own retention b carries) and reports it.
func (r *runner) retain(ctx context.Context, dst *repo.Repository, b *config.Backup) error {
	res, err := forget.Retain(ctx, dst, b, r.ws.Now())
	if err != nil || res == nil {
		return err
	}
	r.mu.Lock()
	r.report.Forgotten = append(r.report.Forgotten, res.Forgotten...)
	r.report.Pruned = append(r.report.Pruned, res.Pruned)
	r.mu.Unlock()
	return nil
}
