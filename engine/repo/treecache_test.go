package repo

import (
	"testing"

	"github.com/velinhq/velin/engine/repo/pack"
)

func TestTreeCacheBound(t *testing.T) {
	c := newTreeCache(100)
	id := func(b byte) pack.ID { var i pack.ID; i[0] = b; return i }
	nodes := []node{{Name: "x"}}

	c.put(id(1), treeBlob{nodes: nodes, size: 25})
	c.put(id(2), treeBlob{nodes: nodes, size: 25})
	c.put(id(3), treeBlob{nodes: nodes, size: 26}) // over a quarter of the bound: not kept
	if _, ok := c.get(id(3)); ok {
		t.Error("a tree over a quarter of the bound was kept")
	}
	c.put(id(4), treeBlob{nodes: nodes, size: 25})
	c.put(id(5), treeBlob{nodes: nodes, size: 25}) // 100 bytes: all four fit
	for _, b := range []byte{1, 2, 4, 5} {
		if got, ok := c.get(id(b)); !ok || got.nodes[0].Name != "x" {
			t.Errorf("tree %d missing at the bound", b)
		}
	}
	c.put(id(6), treeBlob{nodes: nodes, size: 10}) // the oldest (1) leaves
	if _, ok := c.get(id(1)); ok {
		t.Error("the oldest tree stayed past the bound")
	}
	if _, ok := c.get(id(2)); !ok {
		t.Error("tree 2 left though the bound only needed one eviction")
	}
	if c.size != 85 {
		t.Errorf("size %d, want 85", c.size)
	}
}
