package repo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

// RepairNote marks a manifest written by RepairSnapshots.
type RepairNote struct {
	Time    time.Time `json:"time"`
	From    string    `json:"from"`    // the id of the snapshot it replaces
	Removed int       `json:"removed"` // files and directory contents removed
}

// SnapshotRepair is what RepairSnapshots does (or would do) to one snapshot.
type SnapshotRepair struct {
	Snapshot string   `json:"snapshot"`
	NewID    string   `json:"new_id"` // "" in a dry run or when declined
	Lost     []string `json:"lost"`   // "source:path" of each file removed, or directory emptied
}

// lostPaths is what salvage found lost in one source.
type lostPaths = []string

// RepairSnapshots finds snapshots that reference data no existing pack
// holds (run RepairIndex first when packs were lost) and, unless dryRun or
// confirm declines, writes for each one a new manifest, marked Repaired,
// whose trees leave out the files whose content is lost and keep the
// directories whose tree is lost as empty ones; then it deletes the old
// manifest. The new snapshot keeps the old one's time, backup and host.
// The caller holds an exclusive lock.
func (r *Repository) RepairSnapshots(ctx context.Context, dryRun bool, confirm func([]SnapshotRepair) bool) ([]SnapshotRepair, error) {
	ctx = bypassCache(ctx) // read the repository itself, never the local cache
	c := &repoChecker{r: r, packs: map[pack.ID][]pack.Blob{}, sizes: map[pack.ID]int64{}, avail: map[pack.ID]bool{}}
	if err := c.indexes(ctx); err != nil {
		return nil, fmt.Errorf("repair snapshots: %w", err)
	}
	if err := c.packFiles(ctx); err != nil {
		return nil, fmt.Errorf("repair snapshots: %w", err)
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		return nil, fmt.Errorf("repair snapshots: %w", err)
	}
	var todo []*Manifest
	out := []SnapshotRepair{}
	for _, m := range snaps {
		rep := SnapshotRepair{Snapshot: m.ID, Lost: []string{}}
		for _, s := range m.Sources {
			lost, err := r.salvage(ctx, c.avail, m, s, nil)
			if err != nil {
				return nil, fmt.Errorf("repair snapshots: %s: %w", m.ID, err)
			}
			rep.Lost = append(rep.Lost, lost...)
		}
		if len(rep.Lost) > 0 {
			todo, out = append(todo, m), append(out, rep)
		}
	}
	if len(todo) == 0 || dryRun || (confirm != nil && !confirm(out)) {
		return out, nil
	}
	for i, m := range todo {
		if out[i].NewID, err = r.rewriteSnapshot(ctx, c.avail, m, len(out[i].Lost)); err != nil {
			return out, fmt.Errorf("repair snapshots: %s: %w", m.ID, err)
		}
	}
	return out, nil
}

// salvage walks source s and returns what is lost; with sw it records in
// sw every node that is not (files whose content some pack lacks are left
// out; a directory whose tree is lost stays, empty).
func (r *Repository) salvage(ctx context.Context, avail map[pack.ID]bool, m *Manifest, s SourceManifest, sw *SourceWriter) (lostPaths, error) {
	root, err := pack.ParseID(s.Root)
	if err != nil {
		return []string{s.Key + ":/"}, nil
	}
	var lost lostPaths
	err = r.salvageTree(ctx, avail, r.newWalkGuard(m, &s), root, "", 0, func(p string, n *node) error {
		if n == nil {
			if p == "" {
				p = "/"
			}
			lost = append(lost, s.Key+":"+p)
			return nil
		}
		if sw == nil {
			return nil
		}
		return sw.putNode(ctx, p, *n)
	})
	return lost, err
}

// salvageTree calls fn with each readable node (and its path), and with a
// nil node for each path that is lost.
func (r *Repository) salvageTree(ctx context.Context, avail map[pack.ID]bool, g *walkGuard, id pack.ID, prefix string, depth int, fn func(string, *node) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var t treeBlob
	var err error
	if avail[id] {
		t, err = r.loadTreeBlob(ctx, id)
	}
	if !avail[id] || err != nil || !allAvailable(avail, t.meta) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fn(prefix, nil)
	}
	for i := range t.nodes {
		n := &t.nodes[i]
		p := joinPath(prefix, n.Name)
		if err := g.visit(p, depth+1); err != nil {
			return err
		}
		if n.Kind == provider.KindFile && !allAvailable(avail, n.Content) {
			if err := fn(p, nil); err != nil {
				return err
			}
			continue
		}
		if err := fn(p, n); err != nil {
			return err
		}
		if n.Kind == provider.KindDir {
			if err := r.salvageTree(ctx, avail, g, *n.Subtree, p, depth+1, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

func allAvailable(avail map[pack.ID]bool, ids []pack.ID) bool {
	for _, id := range ids {
		if !avail[id] {
			return false
		}
	}
	return true
}

// putNode records a node read from another snapshot; its subtree and
// content list are rebuilt by Finish.
func (sw *SourceWriter) putNode(ctx context.Context, path string, n node) error {
	if err := sw.w.begin(); err != nil {
		return fmt.Errorf("put %s: %w", path, err)
	}
	defer sw.w.end()
	n.Subtree, n.ContentList, n.lists = nil, nil, nil
	if n.Kind == provider.KindFile {
		sw.files.Add(1)
		sw.bytes.Add(n.Size)
	}
	return sw.record(ctx, path, n)
}

// rewriteSnapshot writes the repaired copy of m and deletes m.
func (r *Repository) rewriteSnapshot(ctx context.Context, avail map[pack.ID]bool, m *Manifest, removed int) (string, error) {
	w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: m.Backup, Plan: m.Plan, Strategy: m.Strategy})
	if err != nil {
		return "", err
	}
	defer w.Abort()
	nm := *m
	nm.Sources = append([]SourceManifest(nil), m.Sources...)
	var rebuilt []*SourceWriter
	for _, s := range m.Sources {
		sw := w.Source(s.Type, s.Name)
		if _, err := r.salvage(ctx, avail, m, s, sw); err != nil {
			return "", err
		}
		if err := sw.Finish(ctx, provider.Facts{}); err != nil {
			return "", err
		}
		rebuilt = append(rebuilt, sw)
	}
	if _, err := w.Flush(ctx); err != nil { // trees durable and indexed
		return "", err
	}
	nm.Size = 0
	for i, sw := range rebuilt {
		s := &nm.Sources[i]
		s.Root, s.Files, s.Entries, s.Bytes = sw.result.Root, sw.result.Files, sw.result.Entries, sw.result.Bytes
		nm.Size += s.Bytes
	}
	base, _, _ := strings.Cut(m.ID, "-repaired")
	if nm.ID, _, err = r.freeID(ctx, base+"-repaired", 1); err != nil {
		return "", err
	}
	nm.Repaired = &RepairNote{Time: r.opts.Clock().UTC(), From: m.ID, Removed: removed}
	if err := r.putSealedJSON(ctx, snapshotName(nm.ID), manifestAAD+" "+nm.ID, &nm, true); err != nil {
		return "", fmt.Errorf("write manifest %s: %w", nm.ID, err)
	}
	if err := r.Forget(ctx, m.ID); err != nil {
		return nm.ID, err
	}
	return nm.ID, nil
}
