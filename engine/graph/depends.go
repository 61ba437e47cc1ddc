package graph

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/velinhq/velin/engine/config"
)

// blockDependsOn adds the edges of the depends_on arguments of the
// sources, steps and targets a unit runs: a node waits for the unit's nodes
// of every block its own block names. A target's depends_on holds back the
// snapshot. Naming a block the unit does not run is a diagnostic: the order
// asked for could not be kept.
func (b *builder) blockDependsOn(u *unit, owner string) {
	byAddr := map[string][]string{}
	for _, id := range u.ids {
		byAddr[b.nodes[id].Addr] = append(byAddr[b.nodes[id].Addr], id)
	}
	for _, id := range slices.Clone(u.ids) {
		n := b.nodes[id]
		for _, ref := range b.declaredDeps(n) {
			deps := candidates(b.nodes, byAddr[ref.Addr], n)
			if len(deps) == 0 {
				b.diags = append(b.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Dependency not run",
					Detail: fmt.Sprintf("%s depends on %s, but %s does not run %s. Add it to before (or to sources), or remove it from depends_on.",
						n.Addr, ref.Addr, owner, ref.Addr),
					Subject: ref.Range.Ptr(),
				})
				continue
			}
			for _, d := range deps {
				b.deps[id] = append(b.deps[id], d)
				b.refs[[2]string{id, d}] = ref.Range
			}
		}
	}
}

// declaredDeps is the depends_on of the block behind n.
func (b *builder) declaredDeps(n *Node) []config.Ref {
	switch n.Kind {
	case KindSource, KindRestore:
		if s := b.cfg.Sources[n.Addr]; s != nil {
			return s.DependsOn
		}
	case KindStep:
		if s := b.cfg.Steps[n.Addr]; s != nil {
			return s.DependsOn
		}
	case KindSnapshot:
		if bk := b.cfg.Backups[n.Owner]; bk != nil {
			if t := b.cfg.Targets[bk.Target.Addr]; t != nil {
				return t.DependsOn
			}
		}
	}
	return nil
}

// candidates are the nodes of ids n may wait for: not n itself, and not a
// finally node when the block also runs earlier (a finally step runs after
// everything else).
func candidates(nodes map[string]*Node, ids []string, n *Node) []string {
	var early, all []string
	for _, id := range ids {
		if id == n.ID {
			continue
		}
		all = append(all, id)
		if nodes[id].Phase != PhaseFinally {
			early = append(early, id)
		}
	}
	if n.Phase != PhaseFinally && len(early) > 0 {
		return early
	}
	return all
}

// nodeCycle returns a cycle of the dependency edges, or nil.
func nodeCycle(nodes map[string]*Node, deps map[string][]string) []string {
	state := map[string]int{} // 0 new, 1 on the path, 2 done
	var path []string
	var visit func(id string) []string
	visit = func(id string) []string {
		state[id] = 1
		path = append(path, id)
		for _, d := range deps[id] {
			switch state[d] {
			case 1:
				return slices.Clone(path[slices.Index(path, d):])
			case 0:
				if c := visit(d); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[id] = 2
		return nil
	}
	for _, id := range slices.Sorted(maps.Keys(nodes)) {
		if state[id] == 0 {
			if c := visit(id); c != nil {
				return c
			}
		}
	}
	return nil
}

// cycleDiag reports a cycle of nodes (each waiting for the next) with the
// file:line of every block in it, pointing at a depends_on that closes it.
func (b *builder) cycleDiag(cycle []string) *hcl.Diagnostic {
	var parts []string
	subject := b.nodes[cycle[0]].Range
	found := false
	for i, id := range cycle {
		n := b.nodes[id]
		parts = append(parts, fmt.Sprintf("%s (%s:%d)", id, n.Range.Filename, n.Range.Start.Line))
		next := cycle[(i+1)%len(cycle)]
		if r, ok := b.refs[[2]string{id, next}]; ok && !found {
			subject, found = r, true
		}
	}
	parts = append(parts, cycle[0])
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Dependency cycle",
		Detail: "Each of these waits for the next, through depends_on and the order of before, the sources, after and finally: " +
			strings.Join(parts, " -> ") + ". Remove one of these dependencies.",
		Subject: subject.Ptr(),
	}
}
