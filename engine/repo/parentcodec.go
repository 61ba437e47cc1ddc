package repo

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"maps"
	"slices"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

// parentNode is what an incremental backup needs of a parent node: the
// entry Parent returns and the content Reuse and classify compare. It
// drops the node's name, raw bytes, subtree and list bookkeeping.
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

// Flags of an encoded parent record.
const (
	parentSparse byte = 1 << iota
	parentHasList
)

// appendParent appends p's record to b: the parent index's in-process
// encoding (never stored in a repository), about 35 bytes plus 32 per
// chunk id for a file, against ~200 as a JSON node.
func appendParent(b []byte, p parentNode) []byte {
	flags := byte(0)
	if p.Sparse {
		flags |= parentSparse
	}
	if p.ContentList != nil {
		flags |= parentHasList
	}
	b = append(b, flags)
	b = appendString(b, string(p.Kind))
	b = binary.AppendUvarint(b, uint64(p.Mode))
	b = binary.AppendVarint(b, p.MTime)
	b = binary.AppendVarint(b, p.CTime)
	b = binary.AppendVarint(b, p.Size)
	b = binary.AppendUvarint(b, p.Inode)
	b = binary.AppendUvarint(b, p.Device)
	b = binary.AppendUvarint(b, uint64(p.UID))
	b = binary.AppendUvarint(b, uint64(p.GID))
	b = appendString(b, p.Target)
	b = binary.AppendUvarint(b, uint64(len(p.Meta)))
	for _, k := range slices.Sorted(maps.Keys(p.Meta)) {
		b = appendString(appendString(b, k), p.Meta[k])
	}
	if p.ContentList != nil {
		b = append(b, p.ContentList[:]...)
	}
	b = binary.AppendUvarint(b, uint64(len(p.Content)))
	for _, id := range p.Content {
		b = append(b, id[:]...)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

var errParentRecord = errors.New("damaged parent index record")

// decodeParent is appendParent's inverse; b must be exactly one record.
func decodeParent(b []byte) (parentNode, error) {
	d := parentDecoder{b: b}
	var p parentNode
	flags := d.byte()
	p.Sparse = flags&parentSparse != 0
	p.Kind = provider.Kind(d.string())
	p.Mode = fs.FileMode(d.uvarint())
	p.MTime, p.CTime, p.Size = d.varint(), d.varint(), d.varint()
	p.Inode, p.Device = d.uvarint(), d.uvarint()
	p.UID, p.GID = uint32(d.uvarint()), uint32(d.uvarint())
	p.Target = d.string()
	if n := d.count(2); n > 0 {
		p.Meta = make(map[string]string, n)
		for range n {
			k := d.string()
			p.Meta[k] = d.string()
		}
	}
	if flags&parentHasList != 0 {
		id := d.id()
		p.ContentList = &id
	}
	if n := d.count(len(pack.ID{})); n > 0 {
		p.Content = make([]pack.ID, n)
		for i := range p.Content {
			p.Content[i] = d.id()
		}
	}
	if d.err != nil || len(d.b) != 0 {
		return parentNode{}, errParentRecord
	}
	return p, nil
}

// parentDecoder reads a record's fields; past a malformed one, err is set
// and every later field reads as zero.
type parentDecoder struct {
	b   []byte
	err error
}

func (d *parentDecoder) fail() {
	d.b, d.err = nil, errParentRecord
}

func (d *parentDecoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *parentDecoder) uvarint() uint64 {
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *parentDecoder) varint() int64 {
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[k:]
	return v
}

// count reads a count of items of at least size bytes each, checked
// against the bytes left before anything is allocated.
func (d *parentDecoder) count(size int) int {
	n := d.uvarint()
	if n > uint64(len(d.b)/size) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *parentDecoder) string() string {
	n := d.count(1)
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *parentDecoder) id() pack.ID {
	var id pack.ID
	if len(d.b) < len(id) {
		d.fail()
		return id
	}
	copy(id[:], d.b)
	d.b = d.b[len(id):]
	return id
}
