package graph

import (
	"fmt"
	"slices"
	"strings"

	dgraph "github.com/dominikbraun/graph"
)

// DOT renders the graph in Graphviz's DOT language, for `velin graph`. Each
// backup or restore is a cluster; an arrow goes from a node to the nodes
// that wait for it. Arrows implied by others are left out (the library's
// TransitiveReduction). The output is deterministic: nodes and arrows in
// Nodes() order. The library's draw.DOT is not used: it lists vertices and
// edges in map order (a different file each run) and has no clusters.
func (g *Graph) DOT() string {
	var sb strings.Builder
	sb.WriteString("digraph velin {\n\trankdir = LR;\n\tnode [shape = box];\n")
	for k, owner := range g.owners() {
		fmt.Fprintf(&sb, "\n\tsubgraph cluster_%d {\n\t\tlabel = %s;\n", k, dotQuote(owner))
		for _, n := range g.nodes {
			if n.Owner == owner {
				fmt.Fprintf(&sb, "\t\t%s [%s];\n", dotQuote(n.ID), dotAttrs(n))
			}
		}
		sb.WriteString("\t}\n")
	}
	sb.WriteString("\n")
	reduced := g.reducedDeps()
	for i, n := range g.nodes {
		for _, d := range reduced[i] {
			fmt.Fprintf(&sb, "\t%s -> %s;\n", dotQuote(g.nodes[d].ID), dotQuote(n.ID))
		}
	}
	sb.WriteString("}\n")
	return sb.String()
}

// owners lists node owners in order of first appearance.
func (g *Graph) owners() []string {
	var out []string
	for _, n := range g.nodes {
		if !slices.Contains(out, n.Owner) {
			out = append(out, n.Owner)
		}
	}
	return out
}

func dotAttrs(n *Node) string {
	label := string(n.Kind)
	shape := ""
	switch n.Kind {
	case KindStep:
		label = string(n.Phase) + ": " + n.Addr
		if n.Phase == PhaseFinally {
			shape = ", style = dashed"
		}
	case KindSource:
		label, shape = n.Addr, ", shape = cylinder"
	case KindRestore:
		label, shape = "restore "+n.Addr, ", shape = cylinder"
	}
	return "label = " + dotQuote(label) + shape
}

// reducedDeps is, by node position, the dependencies left by the
// library's transitive reduction: d stays a dependency of i unless another
// dependency of i already depends on d. Should the reduction fail (it
// cannot on a DAG), every edge is drawn.
func (g *Graph) reducedDeps() [][]int {
	d := g.dag
	if r, err := dgraph.TransitiveReduction(g.dag); err == nil {
		d = r
	}
	deps, _, err := g.links(d)
	if err != nil {
		return make([][]int, len(g.nodes))
	}
	return deps
}

func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
