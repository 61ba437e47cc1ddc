package graph

import (
	"errors"
	"fmt"
	"slices"

	dgraph "github.com/dominikbraun/graph"
	"github.com/hashicorp/hcl/v2"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/providers/provider"
)

// Build compiles the blocks chosen by sel into a graph. Configuration
// mistakes (dependency cycles, unknown names, references to undeclared
// blocks) are diagnostics; the graph is nil when any is an error. Cycles
// are looked for in the whole configuration, not only in the selection.
func Build(cfg *config.Config, sel Selection) (*Graph, hcl.Diagnostics) {
	bs := collectBlocks(cfg)
	diags := checkDependsOn(bs)
	blocks, d := blockGraph(bs)
	if diags = append(diags, d...); diags.HasErrors() {
		return nil, diags
	}
	chosen, d := selectBlocks(cfg, sel, bs)
	if diags = append(diags, d...); diags.HasErrors() {
		return nil, diags
	}
	b := &builder{cfg: cfg, dag: newDAG(), refs: map[[2]string]hcl.Range{}}
	units := make(map[string]*unit, len(chosen))
	for _, addr := range chosen {
		if bk := cfg.Backups[addr]; bk != nil {
			units[addr] = b.backup(bk)
		} else {
			units[addr] = b.restore(cfg.Restores[addr])
		}
	}
	for _, addr := range chosen {
		b.blockDependsOn(units[addr], addr)
	}
	for _, addr := range chosen {
		b.dependsOn(units[addr], bs[addr], units)
	}
	if diags = append(diags, b.diags...); diags.HasErrors() {
		return nil, diags
	}
	if b.cycle != nil {
		return nil, append(diags, b.cycleDiag(b.cycle))
	}
	ranks, err := blockRanks(blocks)
	if err != nil {
		return nil, append(diags, internalError(err))
	}
	g, err := newGraph(b.dag, ranks)
	if err != nil {
		return nil, append(diags, internalError(err))
	}
	return g, diags
}

func internalError(err error) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Internal error", Detail: err.Error()}
}

// builder adds nodes and edges to the graph's store.
type builder struct {
	cfg   *config.Config
	dag   dag
	refs  map[[2]string]hcl.Range // node, dependency -> the depends_on that asked for it
	cycle []string                // the first cycle an edge would have closed
	diags hcl.Diagnostics
}

// unit is the nodes of one backup or restore.
type unit struct {
	ids   []string // in the order they were added
	roots []string // nodes added without dependencies (before depends_on)
}

func (b *builder) backup(bk *config.Backup) *unit {
	u, owner := &unit{}, bk.Addr()
	tail := b.steps(u, owner, PhaseBefore, bk.Before, nil)
	var sources []string
	for _, ref := range bk.Sources {
		src := b.cfg.Sources[ref.Addr]
		if src == nil {
			b.undeclared("source", ref)
			continue
		}
		n := &Node{ID: owner + "/" + ref.Addr, Kind: KindSource, Phase: PhaseMain, Owner: owner, Addr: ref.Addr, Range: src.DeclRange}
		if b.add(u, n, ref.Range, tail) {
			sources = append(sources, n.ID)
		}
	}
	if len(sources) == 0 {
		sources = tail
	}
	last := b.main(u, owner, KindSnapshot, bk.DeclRange, sources)
	var verify []string
	if bk.Verify.Checksums || bk.Verify.TestRestore {
		verify = b.main(u, owner, KindVerify, bk.DeclRange, last)
		last = verify
	}
	commit := b.main(u, owner, KindCommit, bk.DeclRange, last)
	afterDeps := slices.Concat(commit, verify)
	copies := b.copies(u, bk, afterDeps)
	afterDeps = append(afterDeps, copies...)
	if bk.Retention != nil {
		// The source forgets nothing while a copy failed (copies first).
		afterDeps = append(afterDeps, b.main(u, owner, KindRetention, bk.Retention.DeclRange, slices.Concat(commit, verify, copies))...)
	}
	b.steps(u, owner, PhaseAfter, bk.After, afterDeps)
	b.steps(u, owner, PhaseFinally, bk.Finally, slices.Clone(u.ids))
	return u
}

// copies adds one copy node per copy_to target ("backup.x/copy/target.local.y"),
// each after deps (the commit and verification).
func (b *builder) copies(u *unit, bk *config.Backup, deps []string) []string {
	var out []string
	for _, ref := range bk.CopyTo {
		t := b.cfg.Targets[ref.Addr]
		if t == nil {
			b.undeclared("target", ref)
			continue
		}
		owner := bk.Addr()
		n := &Node{ID: owner + "/copy/" + ref.Addr, Kind: KindCopy, Phase: PhaseMain, Owner: owner, Addr: ref.Addr, Range: ref.Range}
		if b.add(u, n, ref.Range, deps) {
			out = append(out, n.ID)
		}
	}
	return out
}

func (b *builder) restore(r *config.Restore) *unit {
	u, owner := &unit{}, r.Addr()
	from := b.cfg.Backups[r.From.Addr]
	if from == nil {
		b.undeclared("backup", r.From)
		return u
	}
	tail := b.steps(u, owner, PhaseBefore, r.Before, nil)
	refs := r.Sources
	if len(refs) == 0 {
		refs = from.Sources
	}
	// One source after the other: a failure skips the sources after it
	// (and the after steps), so a restore stops at its first failure.
	var restored []string
	for _, ref := range b.restoreOrder(refs) {
		if id, ok := b.restoreSource(u, owner, from, ref, tail); ok {
			restored = append(restored, id)
			tail = []string{id}
		}
	}
	if len(restored) == 0 {
		restored = tail
	}
	b.steps(u, owner, PhaseAfter, r.After, restored)
	b.steps(u, owner, PhaseFinally, r.Finally, slices.Clone(u.ids))
	return u
}

// restoreOrder is the order in which a restore block restores its
// sources: as listed, except that a source comes after the listed sources
// its depends_on names. A cycle among them keeps the listed order (the
// depends_on edges then report it).
func (b *builder) restoreOrder(refs []config.Ref) []config.Ref {
	left := slices.Clone(refs)
	out := make([]config.Ref, 0, len(refs))
	for len(left) > 0 {
		i := max(0, slices.IndexFunc(left, func(r config.Ref) bool { return !b.waitsFor(r, left) }))
		out = append(out, left[i])
		left = slices.Delete(left, i, i+1)
	}
	return out
}

// waitsFor says whether source r depends on another source of refs.
func (b *builder) waitsFor(r config.Ref, refs []config.Ref) bool {
	src := b.cfg.Sources[r.Addr]
	if src == nil {
		return false
	}
	for _, d := range src.DependsOn {
		if d.Addr != r.Addr && slices.ContainsFunc(refs, func(o config.Ref) bool { return o.Addr == d.Addr }) {
			return true
		}
	}
	return false
}

func (b *builder) restoreSource(u *unit, owner string, from *config.Backup, ref config.Ref, deps []string) (string, bool) {
	src := b.cfg.Sources[ref.Addr]
	if src == nil {
		b.undeclared("source", ref)
		return "", false
	}
	if !slices.ContainsFunc(from.Sources, func(s config.Ref) bool { return s.Addr == ref.Addr }) {
		b.diags = append(b.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Source not in backup",
			Detail:   fmt.Sprintf("%s is not a source of %s, so its snapshots cannot restore it.", ref.Addr, from.Addr()),
			Subject:  ref.Range.Ptr(),
		})
		return "", false
	}
	n := &Node{ID: owner + "/" + ref.Addr, Kind: KindRestore, Phase: PhaseMain, Owner: owner, Addr: ref.Addr, Range: src.DeclRange}
	return n.ID, b.add(u, n, ref.Range, deps)
}

// steps adds a chain of step nodes, the first depending on after. It
// returns what comes next must depend on: the last step, or after when
// there is none.
func (b *builder) steps(u *unit, owner string, phase Phase, refs []config.Ref, after []string) []string {
	for _, ref := range refs {
		st := b.cfg.Steps[ref.Addr]
		if st == nil {
			b.undeclared("step", ref)
			continue
		}
		n := &Node{ID: owner + "/" + string(phase) + "/" + ref.Addr, Kind: KindStep, Phase: phase, Owner: owner, Addr: ref.Addr, Range: st.DeclRange}
		if b.add(u, n, ref.Range, after) {
			after = []string{n.ID}
		}
	}
	return after
}

// main adds the owner's node of the given kind ("backup.x/commit").
func (b *builder) main(u *unit, owner string, kind Kind, rng hcl.Range, deps []string) []string {
	n := &Node{ID: owner + "/" + string(kind), Kind: kind, Phase: PhaseMain, Owner: owner, Addr: owner, Range: rng}
	if kind == KindCommit {
		// A failed assertion still saves the snapshot, marked as not
		// verified; retention and the after steps wait for a verified one.
		n.Tolerates = provider.ErrAssertion
	}
	b.add(u, n, rng, deps)
	return []string{n.ID}
}

// add records n, waiting for deps, unless its ID is taken (the same block
// listed twice).
func (b *builder) add(u *unit, n *Node, ref hcl.Range, deps []string) bool {
	if err := b.dag.AddVertex(n); err != nil {
		if !errors.Is(err, dgraph.ErrVertexAlreadyExists) {
			b.diags = append(b.diags, internalError(err))
			return false
		}
		b.diags = append(b.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate reference",
			Detail:   fmt.Sprintf("%s lists %s more than once (%s).", n.Owner, n.Addr, n.Phase),
			Subject:  ref.Ptr(),
		})
		return false
	}
	for _, d := range deps {
		b.edge(n.ID, d)
	}
	u.ids = append(u.ids, n.ID)
	if len(deps) == 0 {
		u.roots = append(u.roots, n.ID)
	}
	return true
}

// edge makes node id wait for node dep. The library refuses an edge that
// would close a cycle; the first such cycle is kept for the diagnostic.
func (b *builder) edge(id, dep string) {
	err := b.dag.AddEdge(dep, id)
	switch {
	case err == nil || errors.Is(err, dgraph.ErrEdgeAlreadyExists):
	case errors.Is(err, dgraph.ErrEdgeCreatesCycle):
		if b.cycle == nil {
			b.cycle = closedCycle(b.dag, dep, id)
		}
	default:
		b.diags = append(b.diags, internalError(err))
	}
}

// node returns the node with the given ID, which was added.
func (b *builder) node(id string) *Node {
	n, _ := b.dag.Vertex(id)
	return n
}

func (b *builder) undeclared(kind string, ref config.Ref) {
	b.diags = append(b.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Reference to undeclared " + kind,
		Detail:   fmt.Sprintf("%s is not declared.", ref.Addr),
		Subject:  ref.Range.Ptr(),
	})
}

// dependsOn makes every root of u depend on every node of the blocks blk
// names in depends_on.
func (b *builder) dependsOn(u *unit, blk *block, units map[string]*unit) {
	for _, ref := range blk.dependsOn {
		for _, root := range u.roots {
			for _, d := range units[ref.Addr].ids {
				b.edge(root, d)
			}
		}
	}
}
