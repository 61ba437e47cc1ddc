package index

import (
	"bytes"
	"slices"

	"github.com/velinhq/velin/engine/repo/pack"
)

// tableShards is the number of shards of a blobTable, chosen by the first
// 10 bits of a blob id (ids are uniform hashes).
const tableShards = 1 << 10

// slot is one blob's entry in a table: 52 bytes, no pointers.
type slot struct {
	id pack.ID
	e  entry
}

// shard holds sorted slots and a short unsorted tail of slots added since
// the last merge. The tail is merged in when it reaches tailMax, so an
// add costs a few slot moves on average and a lookup is one binary search
// and a scan of at most tailMax slots.
type shard struct {
	sorted []slot
	tail   []slot
}

// blobTable maps blob ids to entries in about 60 bytes per blob (a Go map
// of the same entries takes about 92). Not safe
// for concurrent use: Master guards it.
type blobTable struct {
	shards []shard
	n      int
}

func newBlobTable() *blobTable {
	return &blobTable{shards: make([]shard, tableShards)}
}

func shardOf(id pack.ID) int {
	return int(id[0])<<2 | int(id[1])>>6
}

func (t *blobTable) get(id pack.ID) (entry, bool) {
	s := &t.shards[shardOf(id)]
	if i, ok := slices.BinarySearchFunc(s.sorted, id, cmpSlot); ok {
		return s.sorted[i].e, true
	}
	for i := range s.tail {
		if s.tail[i].id == id {
			return s.tail[i].e, true
		}
	}
	return entry{}, false
}

// add records id unless it is there already (the first entry stays).
func (t *blobTable) add(id pack.ID, e entry) {
	if _, ok := t.get(id); ok {
		return
	}
	s := &t.shards[shardOf(id)]
	limit := tailMax(len(s.sorted))
	if s.tail == nil || cap(s.tail) < limit {
		tail := make([]slot, len(s.tail), limit)
		copy(tail, s.tail)
		s.tail = tail
	}
	s.tail = append(s.tail, slot{id: id, e: e})
	t.n++
	if len(s.tail) >= limit {
		s.merge()
	}
}

// tailMax is the tail length at which a shard of n sorted slots merges.
func tailMax(n int) int {
	return min(max(n/16, 8), 256)
}

// merge sorts the tail into the sorted slots, growing them by a sixteenth
// when they are full (not doubling: the table stays near its live size).
func (s *shard) merge() {
	slices.SortFunc(s.tail, func(a, b slot) int { return bytes.Compare(a.id[:], b.id[:]) })
	n, m := len(s.sorted), len(s.tail)
	if cap(s.sorted) < n+m {
		grown := make([]slot, n, n+m+(n+m)/16+4)
		copy(grown, s.sorted)
		s.sorted = grown
	}
	s.sorted = s.sorted[:n+m]
	i, j := n-1, m-1
	for w := n + m - 1; j >= 0; w-- {
		if i >= 0 && bytes.Compare(s.sorted[i].id[:], s.tail[j].id[:]) > 0 {
			s.sorted[w] = s.sorted[i]
			i--
		} else {
			s.sorted[w] = s.tail[j]
			j--
		}
	}
	s.tail = s.tail[:0]
}

func cmpSlot(s slot, id pack.ID) int {
	return bytes.Compare(s.id[:], id[:])
}
