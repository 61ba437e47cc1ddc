package repo

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/velinhq/velin/engine/repo/diskcache"
	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/engine/storage"
)

// The local cache of index files, manifests and tree blobs
// (docs/design.md, "Local cache"). Cached bytes are never trusted: they
// take the path of fetched ones, and an entry that fails is deleted and
// the object fetched again.

// cacheBypass marks a context whose reads skip the local cache: checks
// and repairs read the repository itself.
type cacheBypass struct{}

func bypassCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, cacheBypass{}, true)
}

// openCache opens the repository's cache under Options.CacheDir, if set.
// A cache that cannot be opened is a warning: the repository works
// without one.
func (r *Repository) openCache() {
	if r.opts.CacheDir == "" {
		return
	}
	if _, err := pack.ParseID(r.cfg.ID); err != nil {
		return // not a name to make a directory of
	}
	c, err := diskcache.Open(filepath.Join(r.opts.CacheDir, "repos", r.cfg.ID))
	if err != nil {
		r.opts.Warn(fmt.Sprintf("local cache disabled: %v", err))
		return
	}
	r.cache = c
}

// cacheFor returns the cache to use for ctx, or nil.
func (r *Repository) cacheFor(ctx context.Context) *diskcache.Cache {
	if r.cache == nil || ctx.Value(cacheBypass{}) != nil {
		return nil
	}
	return r.cache
}

// cachedPrefix says whether the objects under a listing prefix are cached.
func cachedPrefix(prefix string) bool { return prefix == "index/" || prefix == "snapshots/" }

// noteListing remembers what a listing of prefix showed, for the tags of
// cache entries; after a listing of snapshots/ it deletes the cached
// manifests no longer listed (index files: syncTreeCache, at Open). The
// caller gives every object listed under prefix.
func (r *Repository) noteListing(prefix string, infos map[string]storage.ObjectInfo) {
	if r.cache == nil || !cachedPrefix(prefix) {
		return
	}
	r.mu.Lock()
	r.listed[prefix] = infos
	r.mu.Unlock()
	if prefix == "snapshots/" {
		r.dropUnlisted("snapshots", infos)
	}
}

// dropUnlisted deletes the cache entries of kind that infos does not list
// and tells how many there were.
func (r *Repository) dropUnlisted(kind string, infos map[string]storage.ObjectInfo) int {
	names, err := r.cache.Names(kind)
	if err != nil {
		return 0
	}
	dropped := 0
	for _, n := range names {
		if _, ok := infos[n]; !ok {
			r.cache.Delete(n)
			dropped++
		}
	}
	return dropped
}

// syncTreeCache runs at Open, after the index is loaded: when index files
// the cache held are no longer listed (a prune or repair rewrote the
// index), the tree entries no loaded index lists are deleted with them.
func (r *Repository) syncTreeCache() {
	if r.cache == nil {
		return
	}
	r.mu.Lock()
	infos := r.listed["index/"]
	r.mu.Unlock()
	if r.dropUnlisted("index", infos) == 0 {
		return
	}
	names, err := r.cache.Names("trees")
	if err != nil {
		return
	}
	for _, n := range names {
		id, err := pack.ParseID(strings.TrimPrefix(n, "trees/"))
		if _, ok := r.idx.Lookup(id); err != nil || !ok {
			r.cache.Delete(n)
		}
	}
}

// listedTag is the cache tag of a listed object: its size, time and ETag
// as listed, so a replaced object (a manifest rewritten by verify or
// repair) misses the cache.
func (r *Repository) listedTag(name string) (string, bool) {
	prefix := name[:strings.IndexByte(name, '/')+1]
	r.mu.Lock()
	oi, ok := r.listed[prefix][name]
	r.mu.Unlock()
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%d %d %s", oi.Size, oi.ModTime.UnixNano(), oi.ETag), true
}

// openSealed returns the plaintext of the sealed object name (an index
// file or a manifest): from the cache when the last listing showed it as
// cached, else from storage, caching it. Storage errors come back as they
// are; an object that fails authentication is crypto.ErrAuth.
func (r *Repository) openSealed(ctx context.Context, name, aad string) ([]byte, error) {
	c := r.cacheFor(ctx)
	tag, listed := "", false
	if c != nil && strings.Contains(name, "/") {
		tag, listed = r.listedTag(name)
	}
	if listed {
		if data, ok := c.Get(name, tag); ok {
			if plain, err := r.key.Open(nil, data, []byte(aad)); err == nil {
				return plain, nil
			}
			c.Delete(name) // damaged: fetch it again
		}
	}
	data, err := getBytes(ctx, r.st, name)
	if err != nil {
		return nil, err
	}
	plain, err := r.key.Open(nil, data, []byte(aad))
	if err == nil && listed {
		_ = c.Put(name, tag, data) // a cache that cannot be written only costs speed
	}
	return plain, err
}

// treeTag is the cache tag of a tree blob: how its stored bytes decode.
func treeTag(loc index.Location) string { return fmt.Sprintf("%d %d", loc.Flags, loc.RawLen) }

func treeEntry(id pack.ID) string { return "trees/" + id.String() }

// loadCachedTree is loadBlob of a tree blob through the cache c: only a
// blob the index locates is looked for, and the cached bytes are
// authenticated and checked against the id as fetched ones are.
func (r *Repository) loadCachedTree(ctx context.Context, c *diskcache.Cache, id pack.ID) ([]byte, error) {
	loc, err := r.lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	if loc.Kind == pack.KindTree {
		if stored, ok := c.Get(treeEntry(id), treeTag(loc)); ok {
			if plain, err := r.decodeBlob(stored, pack.KindTree, id, loc.Flags, loc.RawLen); err == nil {
				return plain, nil
			}
			c.Delete(treeEntry(id)) // damaged: fetch it again
		}
	}
	loc, stored, err := r.readStored(ctx, id, pack.KindTree, nil)
	if err != nil {
		return nil, err
	}
	plain, err := r.decodeBlob(stored, pack.KindTree, id, loc.Flags, loc.RawLen)
	if err == nil {
		_ = c.Put(treeEntry(id), treeTag(loc), stored)
	}
	return plain, err
}
