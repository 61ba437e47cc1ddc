package graph

import (
	"fmt"
	"slices"
)

// Graph is the DAG of one run. It is immutable once built and safe for
// concurrent reads.
type Graph struct {
	nodes      []*Node // stable topological order
	index      map[string]int
	deps       [][]int // by node index, ascending
	dependents [][]int // by node index, ascending
}

// Nodes lists every node in a stable topological order: dependencies come
// first and, among nodes that could come next, the smallest ID does.
func (g *Graph) Nodes() []*Node { return slices.Clone(g.nodes) }

// Node returns the node with the given ID, or nil.
func (g *Graph) Node(id string) *Node {
	if i, ok := g.index[id]; ok {
		return g.nodes[i]
	}
	return nil
}

// Deps lists the IDs of the direct dependencies of node id, in Nodes()
// order; nil for an unknown id.
func (g *Graph) Deps(id string) []string {
	i, ok := g.index[id]
	if !ok {
		return nil
	}
	out := make([]string, len(g.deps[i]))
	for k, d := range g.deps[i] {
		out[k] = g.nodes[d].ID
	}
	return out
}

// newGraph orders nodes topologically (Kahn's algorithm, smallest ready ID
// first). deps maps a node ID to the IDs it depends on; duplicates are
// allowed. It fails on a cycle or an unknown dependency, which Build
// prevents: such an error is a bug.
func newGraph(nodes map[string]*Node, deps map[string][]string) (*Graph, error) {
	pending := make(map[string]int, len(nodes))
	dependents := make(map[string][]string, len(nodes))
	var ready []string
	for id := range nodes {
		set := uniq(deps[id])
		for _, d := range set {
			if nodes[d] == nil {
				return nil, fmt.Errorf("build graph: %s depends on unknown node %s", id, d)
			}
			dependents[d] = append(dependents[d], id)
		}
		pending[id] = len(set)
		if len(set) == 0 {
			ready = insertSorted(ready, id)
		}
	}
	g := &Graph{index: make(map[string]int, len(nodes))}
	for len(ready) > 0 {
		id := ready[0]
		ready = ready[1:]
		g.index[id] = len(g.nodes)
		g.nodes = append(g.nodes, nodes[id])
		for _, next := range dependents[id] {
			if pending[next]--; pending[next] == 0 {
				ready = insertSorted(ready, next)
			}
		}
	}
	if len(g.nodes) != len(nodes) {
		return nil, fmt.Errorf("build graph: %d nodes are part of a cycle", len(nodes)-len(g.nodes))
	}
	g.link(deps)
	return g, nil
}

// link fills the index-based adjacency lists.
func (g *Graph) link(deps map[string][]string) {
	g.deps = make([][]int, len(g.nodes))
	g.dependents = make([][]int, len(g.nodes))
	for i, n := range g.nodes {
		for _, d := range uniq(deps[n.ID]) {
			g.deps[i] = append(g.deps[i], g.index[d])
		}
		slices.Sort(g.deps[i])
	}
	for i := range g.nodes {
		for _, d := range g.deps[i] {
			g.dependents[d] = append(g.dependents[d], i)
		}
	}
}

func uniq(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

func insertSorted[T interface{ ~int | ~string }](s []T, v T) []T {
	i, _ := slices.BinarySearch(s, v)
	return slices.Insert(s, i, v)
}
