package graph

import (
	"fmt"
	"slices"
	"strings"
)

// DOT renders the graph in Graphviz's DOT language, for `velin graph`. Each
// backup or restore is a cluster; an arrow goes from a node to the nodes
// that wait for it. Arrows implied by others are left out. The output is
// deterministic.
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

// reducedDeps is the transitive reduction of the dependency lists: d stays
// a dependency of i unless another dependency of i already depends on d.
func (g *Graph) reducedDeps() [][]int {
	reach := make([][]bool, len(g.nodes)) // reach[i][j]: i depends on j, maybe indirectly
	for i := range g.nodes {
		reach[i] = make([]bool, len(g.nodes))
		for _, d := range g.deps[i] {
			reach[i][d] = true
			for j, r := range reach[d] {
				reach[i][j] = reach[i][j] || r
			}
		}
	}
	out := make([][]int, len(g.nodes))
	for i := range g.nodes {
		for _, d := range g.deps[i] {
			implied := slices.ContainsFunc(g.deps[i], func(o int) bool { return o != d && reach[o][d] })
			if !implied {
				out[i] = append(out[i], d)
			}
		}
	}
	return out
}

func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
