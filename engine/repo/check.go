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

// checker holds the state of one Check.
type checker struct {
	r        *Repository
	trees    map[pack.ID]error  // tree blobs, parts and content lists read, with their error (nodes are not kept)
	data     map[pack.ID]string // data blob → "" or error text
	report   CheckReport
	progress func(int64)
}

// Check re-reads and authenticates every blob (trees and content) that the
// given snapshots reference, and maps damage to snapshot, source and path.
// It works on a flushed, not yet committed manifest too. Trees are read
// one tree blob or part and one content list at a time, twice (to collect
// the content blobs, then to name the files): a split directory or a long
// stream is never in memory whole; what grows with the snapshots is the
// set of their content blobs, each verified once.
func (r *Repository) Check(ctx context.Context, snaps []*Manifest, progress func(bytes int64)) (*CheckReport, error) {
	ctx = bypassCache(ctx) // read the repository itself, never the local cache
	if progress == nil {
		progress = func(int64) {}
	}
	c := &checker{r: r, trees: map[pack.ID]error{}, data: map[pack.ID]string{}, progress: progress}
	c.report.Snapshots = len(snaps)
	// Pass 1: read every tree once, collect content blobs.
	if err := c.each(ctx, snaps, c.collect); err != nil {
		return nil, err
	}
	// Pass 2: verify each content blob once.
	if err := c.verifyData(ctx); err != nil {
		return nil, err
	}
	// Pass 3: name the damaged trees and the files that use damaged blobs.
	c.report.Damaged = nil
	if err := c.each(ctx, snaps, c.name); err != nil {
		return nil, err
	}
	c.report.Blobs = len(c.trees) + len(c.data)
	return &c.report, nil
}

// walkFunc walks the tree id of a source found at prefix.
type walkFunc func(ctx context.Context, at *checkAt, id pack.ID, prefix string, depth int) error

// checkAt is where a walk is: snapshot, source and its bounds.
type checkAt struct {
	m *Manifest
	s SourceManifest
	g *walkGuard
}

// each walks every source of snaps with walk; a tree out of bounds is
// damage, and the rest of its source is not walked.
func (c *checker) each(ctx context.Context, snaps []*Manifest, walk walkFunc) error {
	for _, m := range snaps {
		for _, s := range m.Sources {
			root, err := pack.ParseID(s.Root)
			if err != nil {
				c.damage(Damage{Snapshot: m.ID, Source: s.Key, Path: "/", Err: "bad root id: " + err.Error()})
				continue
			}
			at := &checkAt{m: m, s: s, g: c.r.newWalkGuard(m, &s)}
			err = walk(ctx, at, root, "", 0)
			if errors.Is(err, errTreeBounds) {
				c.damage(Damage{Snapshot: m.ID, Source: s.Key, Path: shortPath(at.g.at), Err: err.Error()})
				continue
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// collect reads tree id and what is below it, each tree blob once,
// authenticating trees, parts and content lists and collecting the
// content blobs. A tree that cannot be read is recorded for pass 3.
func (c *checker) collect(ctx context.Context, at *checkAt, id pack.ID, prefix string, depth int) error {
	if _, seen := c.trees[id]; seen {
		return nil
	}
	c.trees[id] = nil
	err := c.r.eachPart(ctx, id, func(blob pack.ID, nodes []node) error {
		c.read(blob)
		for i := range nodes {
			n := &nodes[i]
			p := joinPath(prefix, n.Name)
			if err := at.g.deeper(p, depth+1); err != nil {
				return err
			}
			c.collectContent(ctx, n)
			if n.Kind == provider.KindDir {
				if err := c.collect(ctx, at, *n.Subtree, p, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if re := (*treeReadError)(nil); errors.As(err, &re) && ctx.Err() == nil {
		c.trees[id] = re.err
		return nil
	}
	return err
}

// collectContent adds a node's content blobs to c.data; its content lists
// are read (authenticated) once. A list that cannot be read is named in
// pass 3.
func (c *checker) collectContent(ctx context.Context, n *node) {
	if n.ContentList != nil {
		if _, seen := c.trees[*n.ContentList]; seen {
			return // the lists below it are read, their chunks collected
		}
	}
	_ = c.r.nodeBlobs(ctx, n, func(kind pack.Kind, ids ...pack.ID) error {
		for _, id := range ids {
			if kind == pack.KindTree {
				c.trees[id] = nil
				c.read(id)
			} else if _, ok := c.data[id]; !ok {
				c.data[id] = ""
			}
		}
		return nil
	})
}

// read counts the stored bytes of a tree blob, part or list read.
func (c *checker) read(id pack.ID) {
	if loc, ok := c.r.idx.Lookup(id); ok {
		c.report.Bytes += int64(loc.Length)
		c.progress(int64(loc.Length))
	}
}

// name walks every path of a source again, reading its trees a part at a
// time (small trees through the tree cache: a subtree named many times is
// read once), and reports the damaged trees and files.
func (c *checker) name(ctx context.Context, at *checkAt, id pack.ID, prefix string, depth int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := c.trees[id]
	if err == nil {
		err = c.r.eachNode(ctx, id, true, func(n node) error {
			p := joinPath(prefix, n.Name)
			if err := at.g.visit(p, depth+1); err != nil {
				return err
			}
			if err := c.fileDamage(ctx, at, p, &n); err != nil {
				return err
			}
			if n.Kind == provider.KindDir {
				return c.name(ctx, at, *n.Subtree, p, depth+1)
			}
			return nil
		})
		re := (*treeReadError)(nil)
		if !errors.As(err, &re) || ctx.Err() != nil {
			return err // nil, the walk's own or the context's
		}
		err = re.err
	}
	c.damage(Damage{Snapshot: at.m.ID, Source: at.s.Key, Path: prefix + "/", Blob: id.String(),
		Pack: c.packOf(id), Err: err.Error()})
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

// fileDamage counts file n at path p and reports the damaged blobs of its
// content, a content list that cannot be read, or a size its content does
// not have.
func (c *checker) fileDamage(ctx context.Context, at *checkAt, p string, n *node) error {
	if n.Kind != provider.KindFile {
		return nil
	}
	c.report.Files++
	var total int64
	damaged := false
	err := c.r.nodeBlobs(ctx, n, func(kind pack.Kind, ids ...pack.ID) error {
		for _, id := range ids {
			if kind == pack.KindTree {
				continue
			}
			if msg := c.data[id]; msg != "" {
				damaged = true
				c.damage(Damage{Snapshot: at.m.ID, Source: at.s.Key, Path: p, Blob: id.String(), Pack: c.packOf(id), Err: msg})
			}
			if loc, ok := c.r.idx.Lookup(id); ok {
				total += int64(loc.RawLen)
			}
		}
		return nil
	})
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		c.damage(Damage{Snapshot: at.m.ID, Source: at.s.Key, Path: p, Err: err.Error()})
	case total != n.Size && !damaged:
		c.damage(Damage{Snapshot: at.m.ID, Source: at.s.Key, Path: p,
			Err: fmt.Sprintf("content is %d bytes, entry says %d", total, n.Size)})
	}
	return nil
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
