package graph

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	dgraph "github.com/dominikbraun/graph"
)

// dag is the one store of a run's nodes and edges: a dominikbraun/graph
// directed graph that refuses edges closing a cycle. Vertices are nodes
// hashed by ID; an edge goes from a node to a node that waits for it.
type dag = dgraph.Graph[string, *Node]

func newDAG() dag {
	return dgraph.New(func(n *Node) string { return n.ID }, dgraph.Directed(), dgraph.PreventCycles())
}

// Graph is the DAG of one run. It is immutable once built and safe for
// concurrent reads.
type Graph struct {
	dag   dag
	nodes []*Node        // stable topological order
	index map[string]int // node ID -> position in nodes
}

// Nodes lists every node in a stable topological order: dependencies come
// first, and one backup's or restore's nodes come together. Blocks follow
// the library's stable topological order of their depends_on (blocks that
// could come next by address); inside a block, nodes follow its stable
// topological order of the edges (nodes that could come next by ID).
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
	if _, ok := g.index[id]; !ok {
		return nil
	}
	pred, err := g.dag.PredecessorMap()
	if err != nil {
		return nil // the in-memory store does not fail
	}
	out := slices.Collect(maps.Keys(pred[id]))
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(g.index[a], g.index[b]) })
	return out
}

// newGraph orders the nodes of d: the library's stable topological sort
// (smallest ID first among nodes ready together), then grouped stably by
// the rank of their owner in the blocks' own topological order. Both
// orders are topological, and edges between blocks only come from
// depends_on, so the result is too. It fails only on a bug (a cycle the
// builder let through).
func newGraph(d dag, blockRank map[string]int) (*Graph, error) {
	ids, err := dgraph.StableTopologicalSort(d, func(a, b string) bool { return a < b })
	if err != nil {
		return nil, fmt.Errorf("build graph: %w", err)
	}
	g := &Graph{dag: d, nodes: make([]*Node, len(ids)), index: make(map[string]int, len(ids))}
	for i, id := range ids {
		if g.nodes[i], err = d.Vertex(id); err != nil {
			return nil, fmt.Errorf("build graph: %w", err)
		}
	}
	slices.SortStableFunc(g.nodes, func(a, b *Node) int { return cmp.Compare(blockRank[a.Owner], blockRank[b.Owner]) })
	for i, n := range g.nodes {
		g.index[n.ID] = i
	}
	return g, nil
}

// links returns, by position in Nodes(), the positions of each node's
// dependencies and of its dependents, ascending, read from the library's
// predecessor and adjacency maps (of d, g's own edges or a reduction).
func (g *Graph) links(d dag) (deps, dependents [][]int, err error) {
	pred, err := d.PredecessorMap()
	if err != nil {
		return nil, nil, fmt.Errorf("graph links: %w", err)
	}
	deps = make([][]int, len(g.nodes))
	dependents = make([][]int, len(g.nodes))
	for i, n := range g.nodes {
		for id := range pred[n.ID] {
			deps[i] = append(deps[i], g.index[id])
		}
		slices.Sort(deps[i])
		for _, d := range deps[i] {
			dependents[d] = append(dependents[d], i)
		}
	}
	for i := range dependents {
		slices.Sort(dependents[i])
	}
	return deps, dependents, nil
}

// closedCycle is the cycle that the refused edge from -> to would close
// (to waits for from), listed so that each element waits for the next and
// the last for the first, starting at the smallest ID.
func closedCycle[T any](g dgraph.Graph[string, T], from, to string) []string {
	cycle := shortestPath(g, to, from) // to -> … -> from: each is waited for by the next
	if cycle == nil {
		cycle = []string{from, to} // cannot happen: the library found the path
	}
	slices.Reverse(cycle)
	start := slices.Index(cycle, slices.Min(cycle))
	return append(slices.Clone(cycle[start:]), cycle[:start]...)
}

// shortestPath is a shortest path from -> to along g's edges, nil when
// there is none. Among equally short paths it takes the smallest IDs
// first: the library's ShortestPath breaks ties in map order, which would
// make a cycle's message change from one run to the next.
func shortestPath[T any](g dgraph.Graph[string, T], from, to string) []string {
	adj, err := g.AdjacencyMap()
	if err != nil {
		return nil
	}
	prev := map[string]string{from: from}
	for queue := []string{from}; len(queue) > 0; queue = queue[1:] {
		v := queue[0]
		if v == to {
			path := []string{v}
			for v != from {
				v = prev[v]
				path = append(path, v)
			}
			slices.Reverse(path)
			return path
		}
		for _, w := range slices.Sorted(maps.Keys(adj[v])) {
			if _, seen := prev[w]; !seen {
				prev[w] = v
				queue = append(queue, w)
			}
		}
	}
	return nil
}
