package apply

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/providers/provider"
)

// backupRun is the state one backup block's nodes share during a run.
type backupRun struct {
	mu        sync.Mutex
	b         *config.Backup
	repo      *repo.Repository
	lock      *repo.Lock
	w         *repo.SnapshotWriter
	pending   *repo.Manifest
	verified  *repo.Verification
	committed *repo.Manifest
}

// backupFor returns the run state of a backup, opening its repository,
// taking a shared lock and starting the snapshot on first use.
func (r *runner) backupFor(ctx context.Context, owner string) (*backupRun, error) {
	r.mu.Lock()
	br, ok := r.backups[owner]
	if !ok {
		br = &backupRun{b: r.ws.Config.Backups[owner]}
		r.backups[owner] = br
	}
	r.mu.Unlock()
	br.mu.Lock()
	defer br.mu.Unlock()
	if br.w != nil {
		return br, nil
	}
	if err := r.startSnapshot(ctx, br); err != nil {
		return nil, err
	}
	return br, nil
}

func (r *runner) openBackupRepo(ctx context.Context, b *config.Backup) (*repo.Repository, error) {
	if r.opts.Destination != "" {
		return r.ws.RepoAt(ctx, r.opts.Destination, b.Target.Addr, true)
	}
	return r.ws.Repo(ctx, b.Target.Addr, true)
}

func (r *runner) startSnapshot(ctx context.Context, br *backupRun) error {
	rp, err := r.openBackupRepo(ctx, br.b)
	if err != nil {
		return err
	}
	lock, err := rp.Lock(ctx, false)
	if err != nil {
		return err
	}
	strategy := r.strategy(br.b)
	// The latest snapshot is the parent of an incremental backup; a full
	// one only compares with it, for its statistics.
	latest, err := rp.Latest(ctx, br.b.Name, "")
	if err != nil {
		lock.Unlock(ctx)
		return err
	}
	meta := repo.SnapshotMeta{Backup: br.b.Name, Plan: r.ws.Config.Dir, Strategy: "full", Previous: latest}
	if strategy == "incremental" && latest != nil {
		meta.Strategy, meta.Parent = "incremental", latest
	}
	w, err := rp.NewSnapshot(ctx, meta)
	if err != nil {
		lock.Unlock(ctx)
		return err
	}
	br.repo, br.lock, br.w = rp, lock, w
	return nil
}

func (r *runner) source(ctx context.Context, n *graph.Node) error {
	br, err := r.backupFor(ctx, n.Owner)
	if err != nil {
		return err
	}
	src := r.ws.Config.Sources[n.Addr]
	sw := br.w.Source(src.Type, src.Name)
	opts := provider.BackupOptions{Incremental: r.strategy(br.b) == "incremental"}
	facts, err := src.Impl.Backup(ctx, sw, opts)
	var partial *provider.Partial
	if errors.As(err, &partial) {
		r.notePartial(n, partial) // the snapshot goes on, saying what is incomplete
	} else if err != nil {
		return fmt.Errorf("back up %s: %w", n.Addr, err)
	}
	if err := sw.Finish(ctx, facts); err != nil {
		return fmt.Errorf("back up %s: %w", n.Addr, err)
	}
	return nil
}

// notePartial records entries a source could not back up fully and warns
// about each.
func (r *runner) notePartial(n *graph.Node, p *provider.Partial) {
	p.Op = "back up " + n.Addr
	r.mu.Lock()
	r.report.Partial = append(r.report.Partial, p)
	r.partial[n.Owner] = true
	r.mu.Unlock()
	for _, pr := range p.Problems {
		r.emit(Event{Type: "warning", Node: n.ID, Message: fmt.Sprintf("%s %s: %s", pr.Op, pr.Path, pr.Err)})
	}
}

func (r *runner) strategy(b *config.Backup) string {
	if r.opts.Strategy != "" {
		return r.opts.Strategy
	}
	return b.Strategy
}

func (r *runner) existing(owner string) (*backupRun, error) {
	r.mu.Lock()
	br, ok := r.backups[owner]
	r.mu.Unlock()
	if !ok || br.writer() == nil {
		return nil, errors.New("no snapshot in progress (its sources did not run)")
	}
	return br, nil
}

func (r *runner) flush(ctx context.Context, n *graph.Node) error {
	br, err := r.existing(n.Owner)
	if err != nil {
		return err
	}
	m, err := br.w.Flush(ctx)
	if err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	br.pending = m
	return nil
}

func (r *runner) commit(ctx context.Context, n *graph.Node) error {
	br, err := r.existing(n.Owner)
	if err != nil {
		return err
	}
	m, err := br.w.Commit(ctx, br.verified)
	if err != nil {
		return fmt.Errorf("commit snapshot: %w", err)
	}
	br.committed = m
	r.mu.Lock()
	r.report.Snapshots = append(r.report.Snapshots, m)
	r.mu.Unlock()
	e := Event{Type: "snapshot", Node: n.ID, Snapshot: m.ID, Stats: m.Stats, Message: "snapshot " + m.ID + " saved"}
	if m.Verification != nil {
		e.Checks = m.Verification.Checks
	}
	r.emit(e)
	// The backup's data is safe now; release the shared lock so that
	// retention can take an exclusive one.
	if br.lock != nil {
		err = br.lock.Unlock(ctx)
		br.lock = nil
	}
	return err
}

// retention applies the backup block's retention through engine/forget,
// the code path `velin backup prune` uses too; it takes an exclusive lock
// only when something is forgotten.
func (r *runner) retention(ctx context.Context, n *graph.Node) error {
	br, err := r.existing(n.Owner)
	if err != nil {
		return err
	}
	return r.retain(ctx, br.repo, br.b)
}

// writer returns the snapshot writer, nil before the first source started.
func (br *backupRun) writer() *repo.SnapshotWriter {
	br.mu.Lock()
	defer br.mu.Unlock()
	return br.w
}

// close aborts an unfinished snapshot and releases the lock.
func (br *backupRun) close(ctx context.Context) {
	br.mu.Lock()
	defer br.mu.Unlock()
	if br.w != nil && br.committed == nil {
		br.w.Abort()
	}
	if br.lock != nil {
		br.lock.Unlock(ctx)
		br.lock = nil
	}
}
