package repo

import (
	"context"
	"sync"

	"golang.org/x/sync/semaphore"

	"github.com/velinhq/velin/engine/repo/diskcache"
	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
)

const (
	// cacheWriters is how many goroutines of a pipeline write the tree
	// blobs it stores to the local cache. Each entry is a file created and
	// renamed; a first backup writes one per directory, all at its end
	// (when the trees are built), while the disk is busy with the packs:
	// a few writers overlap the waits of those file creations.
	cacheWriters = 4
	// cacheQueued bounds the bytes of tree blobs waiting for a writer;
	// a worker that would pass it waits (a blob larger than it waits for
	// the queue to empty).
	cacheQueued = 8 << 20
)

// A cachedTree is a sealed tree blob to keep in the local cache.
type cachedTree struct {
	id     pack.ID
	tag    string
	sealed []byte
}

// treeCacher writes the tree blobs a pipeline stores to the local cache,
// off the pipeline's workers: before, each worker created the entry's
// file itself, and a first backup's tree building (1,104 trees of the S3
// benchmark's tree) waited 1.5 s for those files while the workers sat in
// file creation. Entries are written when the pipeline closes at the
// latest (close waits), so the next backup finds them as before.
type treeCacher struct {
	c     *diskcache.Cache
	queue chan cachedTree
	room  *semaphore.Weighted
	start sync.Once
	wg    sync.WaitGroup
}

// newTreeCacher returns the cacher of c, or nil without a cache.
func newTreeCacher(c *diskcache.Cache) *treeCacher {
	if c == nil {
		return nil
	}
	return &treeCacher{c: c, queue: make(chan cachedTree, 64), room: semaphore.NewWeighted(cacheQueued)}
}

// put queues a copy of sealed, the stored bytes of tree id (flags and
// rawLen as its index entry will say), waiting while the queue is full.
func (t *treeCacher) put(id pack.ID, flags uint8, rawLen int, sealed []byte) {
	if t == nil {
		return
	}
	t.start.Do(func() {
		for range cacheWriters {
			t.wg.Add(1)
			go t.write()
		}
	})
	_ = t.room.Acquire(context.Background(), t.weight(sealed)) // never fails: no deadline
	tag := treeTag(index.Location{Flags: flags, RawLen: uint32(rawLen)})
	t.queue <- cachedTree{id: id, tag: tag, sealed: append([]byte(nil), sealed...)}
}

// weight is what sealed takes of the queue's room.
func (t *treeCacher) weight(sealed []byte) int64 { return min(int64(len(sealed)), cacheQueued) }

func (t *treeCacher) write() {
	defer t.wg.Done()
	for e := range t.queue {
		_ = t.c.Put(treeEntry(e.id), e.tag, e.sealed) // a cache that cannot be written only costs speed
		t.room.Release(t.weight(e.sealed))
	}
}

// close waits until every queued entry is written. No put may follow.
func (t *treeCacher) close() {
	if t == nil {
		return
	}
	close(t.queue)
	t.wg.Wait()
}
