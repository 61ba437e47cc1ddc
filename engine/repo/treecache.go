package repo

import (
	"sync"

	"github.com/velinhq/velin/engine/repo/pack"
)

// treeCacheBytes bounds the plaintext size of the trees a repository keeps
// decoded: a restore walks its snapshot twice (plan, then restore), and a
// tree of 20,000 files is about 5 MB.
const treeCacheBytes = 32 << 20

// treeCache keeps decoded trees up to max plaintext bytes in all, the
// oldest leaving first; a tree larger than a quarter of max is not kept.
// Trees are immutable, so the cached nodes are shared and never written.
// Safe for concurrent use.
type treeCache struct {
	mu    sync.Mutex
	max   int
	size  int
	trees map[pack.ID]treeBlob
	order []pack.ID // insertion order
}

func newTreeCache(max int) *treeCache {
	return &treeCache{max: max, trees: map[pack.ID]treeBlob{}}
}

func (c *treeCache) get(id pack.ID) (treeBlob, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.trees[id]
	return t, ok
}

// put keeps tree id, decoded from t.size plaintext bytes.
func (c *treeCache) put(id pack.ID, t treeBlob) {
	size := t.size
	if size > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.trees[id]; ok {
		return
	}
	for c.size+size > c.max && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.size -= c.trees[old].size
		delete(c.trees, old)
	}
	c.trees[id] = t
	c.order = append(c.order, id)
	c.size += size
}
