package repo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/velinhq/velin/engine/repo/crypto"
	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/storage"
)

// indexLoaders is how many index files are read at once.
const indexLoaders = 8

// loadIndexes reads every index file not loaded yet, indexLoaders at a
// time. A damaged index file (it fails authentication or does not decode)
// does not make the repository unusable: it is named in a warning once,
// remembered (DamagedIndexes) and skipped, so that blobs other indexes list
// stay readable. An index file gone since the listing was replaced by a
// prune or repair and is skipped too.
func (r *Repository) loadIndexes(ctx context.Context) error {
	names, err := r.listNames(ctx, "index/")
	if err != nil {
		return err
	}
	return r.loadListedIndexes(ctx, names)
}

// loadListedIndexes reads the index files of a listing of index/ (names)
// that are not loaded yet.
func (r *Repository) loadListedIndexes(ctx context.Context, names []string) error {
	r.mu.Lock()
	todo := names[:0]
	for _, name := range names {
		if _, bad := r.badIndexes[name]; !bad && !r.indexes[name] {
			todo = append(todo, name)
		}
	}
	r.mu.Unlock()
	return r.readIndexes(ctx, todo, r.addIndexTo(r.idx, r.indexes))
}

// addIndexTo returns the readIndexes callback that adds each index file's
// packs to m and its name to loaded (guarded by r.mu). A damaged file is
// recorded and named in a warning (once); a missing one is skipped.
func (r *Repository) addIndexTo(m *index.Master, loaded map[string]bool) func(string, []index.Pack, error) error {
	return func(name string, packs []index.Pack, err error) error {
		switch {
		case errors.Is(err, storage.ErrNotFound):
			return nil
		case errors.Is(err, errDamaged):
			r.mu.Lock()
			_, known := r.badIndexes[name]
			r.badIndexes[name] = err.Error()
			r.mu.Unlock()
			if !known {
				r.opts.Warn(fmt.Sprintf("%s; it is skipped (run `velin backup repair index`)", err))
			}
			return nil
		case err != nil:
			return err
		}
		for _, p := range packs {
			m.Add(p)
		}
		r.mu.Lock()
		loaded[name] = true
		r.mu.Unlock()
		return nil
	}
}

// readIndexes reads the named index files, indexLoaders at a time, and
// calls fn (serialised) with each one's packs or error. The first error fn
// returns stops the rest.
func (r *Repository) readIndexes(ctx context.Context, names []string, fn func(name string, packs []index.Pack, err error) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(indexLoaders)
	var mu sync.Mutex // serialises fn
	for _, name := range names {
		g.Go(func() error {
			packs, err := r.readIndex(gctx, name)
			mu.Lock()
			defer mu.Unlock()
			return fn(name, packs, err)
		})
	}
	return g.Wait()
}

// readIndex reads and decodes one index file. Storage errors are returned
// as they are; an index that fails authentication or decoding is errDamaged.
func (r *Repository) readIndex(ctx context.Context, name string) ([]index.Pack, error) {
	plain, err := r.openSealed(ctx, name, index.AAD)
	if errors.Is(err, crypto.ErrAuth) {
		return nil, fmt.Errorf("index %s is %w: %w", name, errDamaged, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	packs, err := index.Decode(plain)
	if err != nil {
		return nil, fmt.Errorf("index %s is %w: %w", name, errDamaged, err)
	}
	return packs, nil
}

// DamagedIndexes names the index files that were skipped because they are
// damaged, each with the reason, sorted.
func (r *Repository) DamagedIndexes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.badIndexes))
	for _, msg := range r.badIndexes {
		out = append(out, msg)
	}
	sort.Strings(out)
	return out
}

// damagedHint is a note for a blob that no index lists: the damaged
// indexes may be why.
func (r *Repository) damagedHint() string {
	bad := r.DamagedIndexes()
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d damaged index file(s) were skipped: run `velin backup repair index`; %s)", len(bad), strings.Join(bad, "; "))
}

// writeIndex stores an index file for packs (all durable already) and adds
// them to the in-memory index.
func (r *Repository) writeIndex(ctx context.Context, packs []index.Pack) error {
	if len(packs) == 0 {
		return nil
	}
	name := "index/" + randomName()
	sealed := r.key.Seal(nil, index.Encode(packs), []byte(index.AAD))
	if err := putBytes(ctx, r.st, name, sealed, false); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	for _, p := range packs {
		r.idx.Add(p)
	}
	r.mu.Lock()
	r.indexes[name] = true
	r.mu.Unlock()
	return nil
}
