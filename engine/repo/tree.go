package repo

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

// node is one entry of a tree blob. Field order is the encoding order, so
// equal directories encode to equal bytes.
//
// Names and targets are bytes: one that is not valid UTF-8 is stored in
// NameRaw / TargetRaw (base64 in JSON) instead of Name / Target, which
// JSON could not carry exactly. Decoded nodes always have Name and Target
// set, and the raw fields empty.
type node struct {
	Name      string        `json:"name,omitempty"`
	NameRaw   []byte        `json:"name_raw,omitempty"`
	Kind      provider.Kind `json:"kind"`
	Mode      fs.FileMode   `json:"mode"`
	MTime     int64         `json:"mtime"`
	Size      int64         `json:"size,omitempty"`
	UID       uint32        `json:"uid,omitempty"`
	GID       uint32        `json:"gid,omitempty"`
	Target    string        `json:"target,omitempty"`
	TargetRaw []byte        `json:"target_raw,omitempty"`
	Inode     uint64        `json:"inode,omitempty"`
	Device    uint64        `json:"dev,omitempty"`
	CTime     int64         `json:"ctime,omitempty"`
	Sparse    bool          `json:"sparse,omitempty"`
	// Meta is the entry's provider.Entry.Meta (at most metaKeys keys and
	// metaBytes bytes).
	Meta    map[string]string `json:"meta,omitempty"`
	Content []pack.ID         `json:"content,omitempty"`
	// ContentList replaces Content for a file of more than
	// limits.inlineContent chunks: the top of its content lists.
	ContentList *pack.ID `json:"content_list,omitempty"`
	Subtree     *pack.ID `json:"subtree,omitempty"`

	// lists are the content-list blobs a decoded node's Content came from
	// (prune keeps them, check reads them).
	lists []pack.ID
}

// treeDoc is a tree blob: either the nodes themselves, or, for a
// directory too large for one blob, the ids of its parts, each a treeDoc
// of nodes, in name order.
type treeDoc struct {
	Nodes []node    `json:"nodes"`
	Parts []pack.ID `json:"parts,omitempty"`
}

type partsDoc struct {
	Parts []pack.ID `json:"parts"`
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func nodeFromEntry(name string, e provider.Entry) node {
	return node{Name: name, Kind: e.Kind, Mode: e.Mode, MTime: unixNano(e.ModTime), Size: e.Size,
		UID: e.UID, GID: e.GID, Target: e.Target, Inode: e.Inode, Device: e.Device,
		CTime: unixNano(e.ChangeTime), Sparse: e.Sparse, Meta: e.Meta}
}

func (n node) entry(path string) provider.Entry {
	return provider.Entry{Path: path, Kind: n.Kind, Mode: n.Mode, ModTime: fromUnixNano(n.MTime), Size: n.Size,
		Target: n.Target, UID: n.UID, GID: n.GID, Inode: n.Inode, Device: n.Device,
		ChangeTime: fromUnixNano(n.CTime), Sparse: n.Sparse, Meta: n.Meta}
}

// encodeTree sorts nodes by name (bytes) and encodes them as one tree
// blob when that stays within lim.treePart, else as parts of at most
// lim.treePart bytes each (a node is never split), in name order. The
// split is deterministic, so equal directories still encode equally.
func encodeTree(nodes []node, lim limits) ([][]byte, error) {
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	wire := make([]node, len(nodes))
	for i, n := range nodes {
		wire[i] = n.toWire()
	}
	whole, err := json.Marshal(treeDoc{Nodes: wire})
	if err != nil || len(whole) <= lim.treePart {
		return [][]byte{whole}, err
	}
	var parts [][]byte
	start, size := 0, 0
	for i := range wire {
		b, err := json.Marshal(wire[i])
		if err != nil {
			return nil, err
		}
		if size > 0 && size+len(b)+1 > lim.treePart {
			part, err := json.Marshal(treeDoc{Nodes: wire[start:i]})
			if err != nil {
				return nil, err
			}
			parts, start, size = append(parts, part), i, 0
		}
		size += len(b) + 1
	}
	last, err := json.Marshal(treeDoc{Nodes: wire[start:]})
	if len(parts)+1 > lim.parts {
		return nil, fmt.Errorf("encode tree: %d entries need more than %d parts", len(nodes), lim.parts)
	}
	return append(parts, last), err
}

// toWire moves a name or target that is not valid UTF-8 to its raw field.
func (n node) toWire() node {
	if !utf8.ValidString(n.Name) {
		n.NameRaw, n.Name = []byte(n.Name), ""
	}
	if !utf8.ValidString(n.Target) {
		n.TargetRaw, n.Target = []byte(n.Target), ""
	}
	if n.ContentList != nil {
		n.Content = nil
	}
	n.lists = nil
	return n
}

// fromWire is the inverse of toWire. A raw field holding valid UTF-8, or
// set next to its plain field, is refused: each name has one encoding, so
// equal directories encode to equal bytes.
func (n node) fromWire() (node, error) {
	if n.NameRaw != nil {
		if n.Name != "" || utf8.Valid(n.NameRaw) {
			return n, fmt.Errorf("bad raw name %q", n.NameRaw)
		}
		n.Name, n.NameRaw = string(n.NameRaw), nil
	}
	if n.TargetRaw != nil {
		if n.Target != "" || utf8.Valid(n.TargetRaw) {
			return n, fmt.Errorf("%q: bad raw target", n.Name)
		}
		n.Target, n.TargetRaw = string(n.TargetRaw), nil
	}
	return n, nil
}

// decodeTree parses and validates a tree blob: its nodes, or the ids of
// its parts. It never panics; anything that could make a restore escape
// its destination is rejected.
func decodeTree(data []byte, lim limits) ([]node, []pack.ID, error) {
	if len(data) > lim.blobRaw {
		return nil, nil, fmt.Errorf("decode tree: too large")
	}
	var doc treeDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("decode tree: %w", err)
	}
	if doc.Parts != nil {
		if doc.Nodes != nil || len(doc.Parts) < 2 || len(doc.Parts) > lim.parts {
			return nil, nil, fmt.Errorf("decode tree: bad parts list")
		}
		return nil, doc.Parts, nil
	}
	if doc.Nodes == nil {
		doc.Nodes = []node{}
	}
	for i, n := range doc.Nodes {
		n, err := n.fromWire()
		if err != nil {
			return nil, nil, fmt.Errorf("decode tree: %w", err)
		}
		doc.Nodes[i] = n
		if err := n.validate(); err != nil {
			return nil, nil, fmt.Errorf("decode tree: %w", err)
		}
		if i > 0 && doc.Nodes[i-1].Name >= n.Name {
			return nil, nil, fmt.Errorf("decode tree: names not sorted or duplicated at %q", n.Name)
		}
	}
	return doc.Nodes, nil, nil
}

func (n node) validate() error {
	if !validName(n.Name) {
		return fmt.Errorf("bad name %q", n.Name)
	}
	switch n.Kind {
	case provider.KindFile:
		if n.Subtree != nil || n.Size < 0 || (n.ContentList != nil && len(n.Content) != 0) {
			return fmt.Errorf("file %q: bad fields", n.Name)
		}
	case provider.KindDir:
		if n.Subtree == nil || len(n.Content) != 0 || n.ContentList != nil {
			return fmt.Errorf("dir %q: bad fields", n.Name)
		}
	case provider.KindSymlink, provider.KindHardlink:
		if n.Subtree != nil || len(n.Content) != 0 || n.ContentList != nil || n.Target == "" {
			return fmt.Errorf("%s %q: bad fields", n.Kind, n.Name)
		}
	default:
		return fmt.Errorf("entry %q: unknown kind %q", n.Name, n.Kind)
	}
	return nil
}

func validName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\x00")
}

// validPath checks an entry path: relative, slash-separated, clean.
func validPath(p string) bool {
	if p == "" {
		return false
	}
	for _, part := range strings.Split(p, "/") {
		if !validName(part) {
			return false
		}
	}
	return true
}
