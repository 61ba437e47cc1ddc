package repo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/providers/provider"
)

// CheckOptions say how much CheckRepository reads.
type CheckOptions struct {
	// ReadData also reads packs whole: each one's name against its hash,
	// its trailer and header against the indexes, and every blob it holds.
	ReadData bool
	// Subset is the fraction (0 < Subset ≤ 1) of packs ReadData reads,
	// chosen at random; 0 means all.
	Subset   float64
	Progress func(bytes int64) // nil = none
}

// Problem is one thing CheckRepository found wrong.
type Problem struct {
	Kind     string `json:"kind"`               // "index", "pack" or "snapshot"
	Object   string `json:"object"`             // index file, pack id or blob id
	Snapshot string `json:"snapshot,omitempty"` // for kind "snapshot"
	Path     string `json:"path,omitempty"`     // source and path, when known
	Err      string `json:"error"`
}

// RepositoryCheck is the result of CheckRepository.
type RepositoryCheck struct {
	Snapshots      int       `json:"snapshots"`
	Indexes        int       `json:"indexes"`
	Packs          int       `json:"packs"`
	Blobs          int       `json:"blobs"`
	PacksRead      int       `json:"packs_read"`
	BytesRead      int64     `json:"bytes_read"`
	UnindexedPacks []string  `json:"unindexed_packs"` // not damage: prune deletes them, repair index indexes them
	Problems       []Problem `json:"problems"`
}

// OK reports whether no problem was found.
func (c *RepositoryCheck) OK() bool { return len(c.Problems) == 0 }

// maxFileProblems bounds the files named per snapshot and source.
const maxFileProblems = 20

// repoChecker is the state of one CheckRepository.
type repoChecker struct {
	r      *Repository
	o      CheckOptions
	packs  map[pack.ID][]pack.Blob // merged from all readable index files
	sizes  map[pack.ID]int64       // packs in data/
	avail  map[pack.ID]bool        // blobs some existing pack holds, per the indexes
	trees  map[pack.ID]error       // trees walked, with their error
	report RepositoryCheck
}

// CheckRepository checks the repository's structure: every index file
// decodes, every pack an index lists exists and holds its entries within
// its size, and every tree and blob of every snapshot is indexed in an
// existing pack. With o.ReadData it also reads packs (see CheckOptions).
// It changes nothing; the caller holds a shared lock.
func (r *Repository) CheckRepository(ctx context.Context, o CheckOptions) (*RepositoryCheck, error) {
	ctx = bypassCache(ctx) // read the repository itself, never the local cache
	if o.Progress == nil {
		o.Progress = func(int64) {}
	}
	c := &repoChecker{r: r, o: o, packs: map[pack.ID][]pack.Blob{}, sizes: map[pack.ID]int64{},
		avail: map[pack.ID]bool{}, trees: map[pack.ID]error{}}
	c.report.UnindexedPacks, c.report.Problems = []string{}, []Problem{}
	if err := c.indexes(ctx); err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	if err := c.packFiles(ctx); err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	if err := c.snapshots(ctx); err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	if o.ReadData {
		if err := c.readPacks(ctx); err != nil {
			return nil, fmt.Errorf("check: %w", err)
		}
	}
	return &c.report, nil
}

func (c *repoChecker) problem(p Problem) { c.report.Problems = append(c.report.Problems, p) }

// indexes reads every index file, merging what they say each pack holds.
func (c *repoChecker) indexes(ctx context.Context) error {
	names, err := c.r.listNames(ctx, "index/")
	if err != nil {
		return err
	}
	c.report.Indexes = len(names)
	return c.r.readIndexes(ctx, names, func(name string, packs []index.Pack, err error) error {
		switch {
		case errors.Is(err, errDamaged):
			c.problem(Problem{Kind: "index", Object: name, Err: err.Error()})
			return nil
		case errors.Is(err, storage.ErrNotFound):
			return nil
		case err != nil:
			return err
		}
		for _, p := range packs {
			c.packs[p.ID] = mergeBlobs(c.packs[p.ID], p.Blobs)
		}
		return nil
	})
}

// packFiles compares the indexed packs with those in data/.
func (c *repoChecker) packFiles(ctx context.Context) error {
	listed, err := c.r.listPacks(ctx)
	if err != nil {
		return err
	}
	for _, p := range listed {
		c.sizes[p.id] = p.size
		if _, ok := c.packs[p.id]; !ok {
			c.report.UnindexedPacks = append(c.report.UnindexedPacks, p.id.String())
		}
	}
	c.report.Packs = len(listed)
	for id, blobs := range c.packs {
		size, ok := c.sizes[id]
		if !ok {
			c.problem(Problem{Kind: "pack", Object: id.String(), Err: fmt.Sprintf("missing: %d blob(s) are indexed in it", len(blobs))})
			continue
		}
		for _, b := range blobs {
			if int64(b.Offset)+int64(b.Length) > size-pack.TrailerLen {
				c.problem(Problem{Kind: "pack", Object: id.String(), Err: fmt.Sprintf("blob %s is indexed past the pack's end (%d bytes)", b.ID, size)})
				continue
			}
			c.avail[b.ID] = true
		}
	}
	c.report.Blobs = len(c.avail)
	return nil
}

// snapshots walks every snapshot's trees and checks that each tree, part,
// content list and content blob is held by an existing pack.
func (c *repoChecker) snapshots(ctx context.Context) error {
	snaps, err := c.r.Snapshots(ctx)
	if err != nil {
		return err
	}
	c.report.Snapshots = len(snaps)
	for _, m := range snaps {
		for _, s := range m.Sources {
			missing := 0
			report := func(path, blob, msg string) {
				if path == "" {
					path = "/"
				}
				missing++
				if missing <= maxFileProblems {
					c.problem(Problem{Kind: "snapshot", Snapshot: m.ID, Object: blob, Path: s.Key + ":" + path, Err: msg})
				}
			}
			root, err := pack.ParseID(s.Root)
			if err != nil {
				report("/", s.Root, "bad root id")
				continue
			}
			if err := c.walk(ctx, c.r.newWalkGuard(m, &s), root, "", 0, report); err != nil {
				return err
			}
			if missing > maxFileProblems {
				c.problem(Problem{Kind: "snapshot", Snapshot: m.ID, Path: s.Key,
					Err: fmt.Sprintf("and %d more damaged file(s) or tree(s)", missing-maxFileProblems)})
			}
		}
	}
	return nil
}

// walk checks one tree and what it references, one tree blob or part and
// one content list at a time (a split directory or a long stream is never
// read whole); report names each damaged file or tree. Trees already
// walked are not walked again, but a damaged one is reported for every
// snapshot that uses it.
func (c *repoChecker) walk(ctx context.Context, g *walkGuard, id pack.ID, path string, depth int, report func(path, blob, msg string)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err, seen := c.trees[id]; seen {
		if err != nil {
			report(path, id.String(), err.Error())
		}
		return nil
	}
	if !c.avail[id] {
		c.trees[id] = errors.New("tree is in no existing pack")
		report(path, id.String(), c.trees[id].Error())
		return nil
	}
	c.trees[id] = nil // walked (below, or being walked: a tree cannot contain itself)
	err := c.r.eachPart(ctx, id, func(blob pack.ID, nodes []node) error {
		if !c.avail[blob] {
			return &treeReadError{fmt.Errorf("tree part %s is in no existing pack", blob)}
		}
		for i := range nodes {
			if err := c.node(ctx, g, &nodes[i], joinPath(path, nodes[i].Name), depth+1, report); err != nil {
				return err
			}
		}
		return nil
	})
	if re := (*treeReadError)(nil); errors.As(err, &re) && ctx.Err() == nil {
		c.trees[id] = re.err
		report(path, id.String(), re.err.Error())
		return nil
	}
	return err
}

// node checks the blobs of one node and walks its subtree.
func (c *repoChecker) node(ctx context.Context, g *walkGuard, n *node, p string, depth int, report func(path, blob, msg string)) error {
	missing := false
	err := c.r.nodeBlobs(ctx, n, func(kind pack.Kind, ids ...pack.ID) error {
		for _, b := range ids {
			if !c.avail[b] && !missing {
				missing = true
				what := "content blob"
				if kind == pack.KindTree {
					what = "content list"
				}
				report(p, b.String(), what+" is in no existing pack")
			}
		}
		return nil
	})
	if err != nil && !missing {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		report(p, "", err.Error())
	}
	if n.Kind != provider.KindDir {
		return nil
	}
	if err := g.deeper(p, depth); err != nil {
		report(p, n.Subtree.String(), err.Error())
		return nil
	}
	return c.walk(ctx, g, *n.Subtree, p, depth, report)
}

// subset picks the packs ReadData reads.
func (c *repoChecker) subset() []pack.ID {
	ids := make([]pack.ID, 0, len(c.sizes))
	for id := range c.sizes {
		ids = append(ids, id)
	}
	if c.o.Subset <= 0 || c.o.Subset >= 1 {
		return ids
	}
	n := int(math.Ceil(float64(len(ids)) * c.o.Subset))
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return ids[:n]
}
