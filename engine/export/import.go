package export

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/providers/provider"
)

// Import writes the export's snapshot into r under its own id, time and
// sources, after Verify. An id already in r is ErrSnapshotExists (the
// repository is left as it was: the data written meanwhile are orphans
// that prune reclaims).
func Import(ctx context.Context, a *Archive, r *repo.Repository) (*repo.Manifest, error) {
	snap := a.Snapshot()
	if _, err := r.Snapshot(ctx, snap.ID); err == nil {
		return nil, fmt.Errorf("import %s: %w", snap.ID, repo.ErrSnapshotExists)
	} else if !errors.Is(err, repo.ErrSnapshotNotFound) {
		return nil, fmt.Errorf("import %s: %w", snap.ID, err)
	}
	if err := a.Verify(ctx); err != nil {
		return nil, err
	}
	lock, err := r.Lock(ctx, false)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock(context.WithoutCancel(ctx))
	w, err := r.NewSnapshot(ctx, repo.SnapshotMeta{Backup: snap.Backup, Plan: snap.Plan, Strategy: snap.Strategy, Keep: snap})
	if err != nil {
		return nil, err
	}
	for i := range snap.Sources {
		if err := importSource(ctx, a, w, snap, &snap.Sources[i]); err != nil {
			w.Abort()
			return nil, fmt.Errorf("import %s: %w", snap.Sources[i].Key, err)
		}
	}
	m, err := w.Commit(ctx, snap.Verification)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", snap.ID, err)
	}
	return m, nil
}

func importSource(ctx context.Context, a *Archive, w *repo.SnapshotWriter, snap *repo.Manifest, sm *repo.SourceManifest) error {
	tree, err := a.Tree(ctx, snap, sm.Key)
	if err != nil {
		return err
	}
	sw := w.Source(sm.Type, sm.Name)
	err = tree.Walk(ctx, func(e provider.Entry) error {
		if e.Kind != provider.KindFile {
			return sw.Put(ctx, e, nil)
		}
		rc, err := tree.Open(ctx, e)
		if err != nil {
			return err
		}
		defer rc.Close()
		e.Handle = nil
		return sw.Put(ctx, e, io.Reader(rc))
	})
	if err != nil {
		return err
	}
	return sw.Finish(ctx, provider.Facts{Type: sm.Type, Identity: sm.Identity, ServerVersion: sm.ServerVersion,
		Files: sm.Files, Bytes: sm.Bytes, Rows: sm.Rows, Tables: sm.Tables, Details: sm.Details,
		Skipped: sm.Skipped, Incomplete: sm.Incomplete, Links: sm.Links})
}
