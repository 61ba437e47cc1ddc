package repo

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

// Damage is one thing Check found wrong, named as precisely as it can.
type Damage struct {
	Snapshot, Source, Path, Blob, Pack string
	Err                                string
}

// CheckReport summarises a Check.
type CheckReport struct {
	Snapshots, Files, Blobs int
	Bytes                   int64 // stored bytes read and authenticated
	Damaged                 []Damage
}

// OK reports whether no damage was found.
func (c *CheckReport) OK() bool { return len(c.Damaged) == 0 }

type treeResult struct {
	nodes []node
	err   error
}

// checker holds the state of one Check.
type checker struct {
	r        *Repository
	trees    map[pack.ID]treeResult
	data     map[pack.ID]string // data blob → "" or error text
	report   CheckReport
	progress func(int64)
}

// Check re-reads and authenticates every blob (trees and content) that the
// given snapshots reference, and maps damage to snapshot, source and path.
// It works on a flushed, not yet committed manifest too.
func (r *Repository) Check(ctx context.Context, snaps []*Manifest, progress func(bytes int64)) (*CheckReport, error) {
	ctx = bypassCache(ctx) // read the repository itself, never the local cache
	if progress == nil {
		progress = func(int64) {}
	}
	c := &checker{r: r, trees: map[pack.ID]treeResult{}, data: map[pack.ID]string{}, progress: progress}
	c.report.Snapshots = len(snaps)
	visit := func(m *Manifest, s SourceManifest, fn func(string, node) error) error {
		return c.walk(ctx, m, s, fn)
	}
	// Pass 1: read every tree, collect content blobs.
	for _, m := range snaps {
		for _, s := range m.Sources {
			err := visit(m, s, func(_ string, n node) error {
				for _, id := range n.Content {
					c.data[id] = ""
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	// Pass 2: verify each content blob once.
	if err := c.verifyData(ctx); err != nil {
		return nil, err
	}
	// Pass 3: name the files that use damaged blobs.
	c.report.Damaged = nil
	for _, m := range snaps {
		for _, s := range m.Sources {
			if err := visit(m, s, c.fileDamage(m, s)); err != nil {
				return nil, err
			}
		}
	}
	c.report.Blobs = len(c.trees) + len(c.data)
	return &c.report, nil
}

// walk visits a source's nodes using the tree cache; unreadable trees are
// reported as damage (once per pass) and skipped.
func (c *checker) walk(ctx context.Context, m *Manifest, s SourceManifest, fn func(string, node) error) error {
	root, err := pack.ParseID(s.Root)
	if err != nil {
		c.damage(Damage{Snapshot: m.ID, Source: s.Key, Path: "/", Err: "bad root id: " + err.Error()})
		return nil
	}
	g := c.r.newWalkGuard(m, &s)
	err = c.walkID(ctx, m, s, g, root, "", 0, fn)
	if errors.Is(err, errTreeBounds) { // damage: the rest of this source is not walked
		c.damage(Damage{Snapshot: m.ID, Source: s.Key, Path: shortPath(g.at), Err: err.Error()})
		return nil
	}
	return err
}

func (c *checker) walkID(ctx context.Context, m *Manifest, s SourceManifest, g *walkGuard, id pack.ID, prefix string, depth int, fn func(string, node) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	tr, ok := c.trees[id]
	if !ok {
		var t treeBlob
		t, tr.err = c.r.readTree(ctx, id) // verify reads storage, never the cache
		tr.nodes = t.nodes
		for _, b := range append([]pack.ID{id}, t.meta...) {
			if loc, ok := c.r.idx.Lookup(b); ok && tr.err == nil {
				c.report.Bytes += int64(loc.Length)
				c.progress(int64(loc.Length))
			}
		}
		c.trees[id] = tr
	}
	if tr.err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.damage(Damage{Snapshot: m.ID, Source: s.Key, Path: prefix + "/", Blob: id.String(),
			Pack: c.packOf(id), Err: tr.err.Error()})
		return nil
	}
	for _, n := range tr.nodes {
		p := joinPath(prefix, n.Name)
		if err := g.visit(p, depth+1); err != nil {
			return err
		}
		if err := fn(p, n); err != nil {
			return err
		}
		if n.Kind == provider.KindDir {
			if err := c.walkID(ctx, m, s, g, *n.Subtree, p, depth+1, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

func joinPath(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "/" + name
}

func (c *checker) damage(d Damage) {
	for _, o := range c.report.Damaged { // a tree is reported once per snapshot and source
		if o == d {
			return
		}
	}
	c.report.Damaged = append(c.report.Damaged, d)
}

func (c *checker) packOf(id pack.ID) string {
	if loc, ok := c.r.idx.Lookup(id); ok {
		return loc.Pack.String()
	}
	return ""
}

func (c *checker) fileDamage(m *Manifest, s SourceManifest) func(string, node) error {
	return func(p string, n node) error {
		if n.Kind != provider.KindFile {
			return nil
		}
		c.report.Files++
		var total int64
		damaged := false
		for _, id := range n.Content {
			if msg := c.data[id]; msg != "" {
				damaged = true
				c.damage(Damage{Snapshot: m.ID, Source: s.Key, Path: p, Blob: id.String(), Pack: c.packOf(id), Err: msg})
			}
			if loc, ok := c.r.idx.Lookup(id); ok {
				total += int64(loc.RawLen)
			}
		}
		if total != n.Size && !damaged {
			c.damage(Damage{Snapshot: m.ID, Source: s.Key, Path: p,
				Err: fmt.Sprintf("content is %d bytes, entry says %d", total, n.Size)})
		}
		return nil
	}
}

// verifyData reads and authenticates every collected content blob with a
// small worker pool, in pack and offset order.
func (c *checker) verifyData(ctx context.Context) error {
	type work struct {
		id  pack.ID
		key string
		off uint32
	}
	list := make([]work, 0, len(c.data))
	for id := range c.data {
		w := work{id: id}
		if loc, ok := c.r.idx.Lookup(id); ok {
			w.key, w.off = loc.Pack.String(), loc.Offset
		}
		list = append(list, w)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].key != list[j].key {
			return list[i].key < list[j].key
		}
		return list[i].off < list[j].off
	})
	ch := make(chan work)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range ch {
				data, err := c.r.loadBlob(ctx, w.id, pack.KindData)
				mu.Lock()
				if err != nil {
					c.data[w.id] = err.Error()
				} else if loc, ok := c.r.idx.Lookup(w.id); ok {
					c.report.Bytes += int64(loc.Length)
					c.progress(int64(len(data)))
				}
				mu.Unlock()
			}
		}()
	}
	for _, w := range list {
		select {
		case ch <- w:
		case <-ctx.Done():
		}
	}
	close(ch)
	wg.Wait()
	return ctx.Err()
}
