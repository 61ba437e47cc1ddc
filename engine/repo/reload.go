package repo

import (
	"context"
	"fmt"

	"github.com/velinhq/velin/engine/repo/index"
)

// refreshIndex brings the in-memory index up to date with the index files
// in storage, removals included. Lock calls it once the lock is held: a
// repository opened long ago (a plan shown before a confirmation prompt,
// a daemon) must not deduplicate against blobs that another process's
// prune has deleted since. New index files are only added; when one it had
// loaded is gone (prune rewrote the indexes), the index is rebuilt from
// the files that exist now.
func (r *Repository) refreshIndex(ctx context.Context) error {
	names, err := r.listNames(ctx, "index/")
	if err != nil {
		return err
	}
	present := make(map[string]bool, len(names))
	for _, n := range names {
		present[n] = true
	}
	r.mu.Lock()
	gone := false
	for n := range r.indexes {
		if !present[n] {
			gone = true
			break
		}
	}
	r.mu.Unlock()
	if !gone {
		return r.loadListedIndexes(ctx, names)
	}
	return r.rebuildIndex(ctx, names)
}

// rebuildIndex replaces the in-memory index with the content of the index
// files names (as listed now), so that nothing else stays in it.
func (r *Repository) rebuildIndex(ctx context.Context, names []string) error {
	fresh := index.NewMaster()
	loaded := map[string]bool{}
	if err := r.readIndexes(ctx, names, r.addIndexTo(fresh, loaded)); err != nil {
		return fmt.Errorf("reload index: %w", err)
	}
	r.idx.Replace(fresh)
	r.mu.Lock()
	r.indexes = loaded
	r.mu.Unlock()
	return nil
}
