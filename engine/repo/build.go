package repo

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func parentDir(p string) string {
	d := path.Dir(p)
	if d == "." {
		return ""
	}
	return d
}

// buildTrees encodes one tree per directory, deepest first, and returns the
// root tree's id. Directories that were not Put but have children get a
// default node (mode 0755). Caller holds sw.mu.
func (sw *SourceWriter) buildTrees(ctx context.Context) (pack.ID, error) {
	children := map[string][]string{"": nil} // dir path → child paths
	linked := map[string]bool{}
	for p := range sw.entries {
		sw.link(p, children, linked)
	}
	dirs := make([]string, 0, len(children))
	for d := range children {
		if d != "" && sw.entries[d].Kind != provider.KindDir {
			return pack.ID{}, fmt.Errorf("%s is a %s but has entries below it", d, sw.entries[d].Kind)
		}
		dirs = append(dirs, d)
	}
	depth := func(d string) int {
		if d == "" {
			return -1
		}
		return strings.Count(d, "/")
	}
	sort.Slice(dirs, func(i, j int) bool { return depth(dirs[i]) > depth(dirs[j]) })
	var root pack.ID
	for _, d := range dirs {
		nodes := make([]node, 0, len(children[d]))
		for _, c := range children[d] {
			nodes = append(nodes, sw.entries[c])
		}
		id, err := sw.storeDir(ctx, nodes)
		if err != nil {
			return root, err
		}
		if d == "" {
			root = id
			continue
		}
		n := sw.entries[d]
		n.Subtree = &id
		sw.entries[d] = n
	}
	return root, nil
}

// link records p and its ancestors in children, creating missing
// directories.
func (sw *SourceWriter) link(p string, children map[string][]string, linked map[string]bool) {
	for p != "" && !linked[p] {
		linked[p] = true
		d := parentDir(p)
		children[d] = append(children[d], p)
		n, ok := sw.entries[p]
		if !ok {
			n = node{Name: baseName(p), Kind: provider.KindDir, Mode: 0o755}
			sw.entries[p] = n
		}
		if _, ok := children[p]; !ok && n.Kind == provider.KindDir {
			children[p] = nil
		}
		p = d
	}
}

// storeDir stores one directory's nodes: long content lists first, then
// the tree blob, or its parts and the list of them.
func (sw *SourceWriter) storeDir(ctx context.Context, nodes []node) (pack.ID, error) {
	lim := sw.w.r.lim
	for i := range nodes {
		if len(nodes[i].Content) > lim.inlineContent {
			id, err := sw.storeList(ctx, nodes[i].Content)
			if err != nil {
				return pack.ID{}, fmt.Errorf("content list of %s: %w", nodes[i].Name, err)
			}
			nodes[i].ContentList = &id
		}
	}
	parts, err := encodeTree(nodes, lim)
	if err != nil {
		return pack.ID{}, err
	}
	if len(parts) == 1 {
		return sw.storeTree(ctx, parts[0])
	}
	doc := partsDoc{Parts: make([]pack.ID, len(parts))}
	for i, data := range parts {
		if doc.Parts[i], err = sw.storeTree(ctx, data); err != nil {
			return pack.ID{}, err
		}
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return pack.ID{}, err
	}
	return sw.storeTree(ctx, data)
}
