package repo

import (
	"crypto/sha256"
	"io/fs"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

// parentKey names a path of the parent snapshot in the parent index: the
// first 16 bytes of its SHA-256 (the path itself is not kept; two paths
// of one source colliding is as unlikely as two chunks sharing an id).
type parentKey [16]byte

func keyOfPath(path string) parentKey {
	sum := sha256.Sum256([]byte(path))
	return parentKey(sum[:16])
}

// parentNode is what an incremental backup needs of a parent node: the
// entry Parent returns and the content Reuse and classify compare. It
// drops the node's name, raw bytes, subtree and list bookkeeping, about
// half of a node, and its path key is 16 bytes whatever the path's length.
type parentNode struct {
	Content     []pack.ID
	ContentList *pack.ID
	Meta        map[string]string
	Target      string
	MTime       int64
	CTime       int64
	Size        int64
	Inode       uint64
	Device      uint64
	Mode        fs.FileMode
	UID, GID    uint32
	Kind        provider.Kind
	Sparse      bool
}

func compactNode(n node) parentNode {
	return parentNode{Content: n.Content, ContentList: n.ContentList, Meta: n.Meta, Target: n.Target,
		MTime: n.MTime, CTime: n.CTime, Size: n.Size, Inode: n.Inode, Device: n.Device, Mode: n.Mode,
		UID: n.UID, GID: n.GID, Kind: n.Kind, Sparse: n.Sparse}
}

// node is p as a node without a name, for entry and the content checks.
func (p parentNode) node() node {
	return node{Content: p.Content, ContentList: p.ContentList, Meta: p.Meta, Target: p.Target,
		MTime: p.MTime, CTime: p.CTime, Size: p.Size, Inode: p.Inode, Device: p.Device, Mode: p.Mode,
		UID: p.UID, GID: p.GID, Kind: p.Kind, Sparse: p.Sparse}
}

// parentOf returns the parent snapshot's node at path, loading the parent
// index on first use (safe for concurrent callers).
func (sw *SourceWriter) parentOf(path string) (node, bool) {
	sw.parentOnce.Do(sw.loadParent)
	p, ok := sw.parent[keyOfPath(path)]
	if !ok {
		return node{}, false
	}
	return p.node(), true
}
