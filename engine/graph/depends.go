package graph

import (
	"fmt"
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
	byAddr := map[string][]*Node{}
	for _, id := range u.ids {
		n := b.node(id)
		byAddr[n.Addr] = append(byAddr[n.Addr], n)
	}
	for _, id := range u.ids {
		n := b.node(id)
		for _, ref := range b.declaredDeps(n) {
			deps := candidates(byAddr[ref.Addr], n)
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
				b.refs[[2]string{id, d}] = ref.Range
				b.edge(id, d)
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

// candidates are the IDs of the nodes n may wait for: not n itself, and not a
// finally node when the block also runs earlier (a finally step runs after
// everything else).
func candidates(nodes []*Node, n *Node) []string {
	var early, all []string
	for _, c := range nodes {
		if c.ID == n.ID {
			continue
		}
		all = append(all, c.ID)
		if c.Phase != PhaseFinally {
			early = append(early, c.ID)
		}
	}
	if n.Phase != PhaseFinally && len(early) > 0 {
		return early
	}
	return all
}

// cycleDiag reports a cycle of nodes (each waiting for the next) with the
// file:line of every block in it, pointing at a depends_on that closes it.
func (b *builder) cycleDiag(cycle []string) *hcl.Diagnostic {
	var parts []string
	subject := b.node(cycle[0]).Range
	found := false
	for i, id := range cycle {
		n := b.node(id)
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
