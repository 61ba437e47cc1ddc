package graph

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	dgraph "github.com/dominikbraun/graph"
	"github.com/hashicorp/hcl/v2"

	"github.com/velinhq/velin/engine/config"
)

// block is a backup or restore seen as a unit that depends_on links.
type block struct {
	addr      string
	isBackup  bool
	decl      hcl.Range
	dependsOn []config.Ref
}

func collectBlocks(cfg *config.Config) map[string]*block {
	bs := make(map[string]*block, len(cfg.Backups)+len(cfg.Restores))
	for _, b := range cfg.Backups {
		bs[b.Addr()] = &block{addr: b.Addr(), isBackup: true, decl: b.DeclRange, dependsOn: b.DependsOn}
	}
	for _, r := range cfg.Restores {
		bs[r.Addr()] = &block{addr: r.Addr(), decl: r.DeclRange, dependsOn: r.DependsOn}
	}
	return bs
}

// checkDependsOn reports depends_on references to undeclared blocks, and
// backups that depend on a restore (which would run a restore on every
// backup).
func checkDependsOn(bs map[string]*block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, addr := range slices.Sorted(maps.Keys(bs)) {
		b := bs[addr]
		for _, ref := range b.dependsOn {
			dep := bs[ref.Addr]
			switch {
			case dep == nil:
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Reference to undeclared block",
					Detail:   fmt.Sprintf("%s depends on %s, which is not declared.", addr, ref.Addr),
					Subject:  ref.Range.Ptr(),
				})
			case b.isBackup && !dep.isBackup:
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid depends_on",
					Detail:   fmt.Sprintf("Backup %s cannot depend on %s: a backup may only depend on backups.", addr, ref.Addr),
					Subject:  ref.Range.Ptr(),
				})
			}
		}
	}
	return diags
}

// blockGraph puts the blocks and their depends_on into a dominikbraun/graph
// graph, with an edge from each block to the blocks that depend on it, and
// reports every dependency cycle: the library refuses each edge that would
// close one, and the cycle is that edge plus the path it closes, listed
// from its smallest address.
func blockGraph(bs map[string]*block) (dgraph.Graph[string, string], hcl.Diagnostics) {
	g := dgraph.New(dgraph.StringHash, dgraph.Directed(), dgraph.PreventCycles())
	addrs := slices.Sorted(maps.Keys(bs))
	for _, addr := range addrs {
		_ = g.AddVertex(addr) // addresses are unique: it cannot fail
	}
	var cycles [][]string
	for _, addr := range addrs {
		for _, ref := range bs[addr].dependsOn {
			if bs[ref.Addr] == nil {
				continue
			}
			if err := g.AddEdge(ref.Addr, addr); errors.Is(err, dgraph.ErrEdgeCreatesCycle) {
				cycles = appendCycle(cycles, closedCycle(g, ref.Addr, addr))
			}
		}
	}
	var diags hcl.Diagnostics
	for _, c := range cycles {
		diags = append(diags, cycleDiagnostic(bs, c))
	}
	return g, diags
}

// blockRanks numbers the blocks in the library's stable topological order
// of depends_on: among blocks that could come next, the smallest address
// first.
func blockRanks(g dgraph.Graph[string, string]) (map[string]int, error) {
	order, err := dgraph.StableTopologicalSort(g, func(a, b string) bool { return a < b })
	if err != nil {
		return nil, fmt.Errorf("order blocks: %w", err)
	}
	ranks := make(map[string]int, len(order))
	for i, addr := range order {
		ranks[addr] = i
	}
	return ranks, nil
}

// appendCycle adds cycle unless it is already known.
func appendCycle(cycles [][]string, cycle []string) [][]string {
	for _, c := range cycles {
		if slices.Equal(c, cycle) {
			return cycles
		}
	}
	return append(cycles, cycle)
}

func cycleDiagnostic(bs map[string]*block, cycle []string) *hcl.Diagnostic {
	var parts []string
	for _, addr := range cycle {
		r := bs[addr].decl
		parts = append(parts, fmt.Sprintf("%s (%s:%d)", addr, r.Filename, r.Start.Line))
	}
	parts = append(parts, cycle[0])
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Dependency cycle",
		Detail: "These blocks depend on each other through depends_on: " + strings.Join(parts, " -> ") +
			". Remove one of these dependencies.",
		Subject: bs[cycle[0]].decl.Ptr(),
	}
}

// selectBlocks returns the addresses the selection builds, with everything
// they depend on, sorted.
func selectBlocks(cfg *config.Config, sel Selection, bs map[string]*block) ([]string, hcl.Diagnostics) {
	start, diags := selectionStart(cfg, sel)
	chosen := map[string]bool{}
	for len(start) > 0 {
		addr := start[0]
		start = start[1:]
		if chosen[addr] {
			continue
		}
		chosen[addr] = true
		for _, ref := range bs[addr].dependsOn {
			start = append(start, ref.Addr)
		}
	}
	return slices.Sorted(maps.Keys(chosen)), diags
}

func selectionStart(cfg *config.Config, sel Selection) ([]string, hcl.Diagnostics) {
	if sel.Restore != "" {
		addr := "restore." + strings.TrimPrefix(sel.Restore, "restore.")
		if cfg.Restores[addr] == nil {
			return nil, unknownName("restore", sel.Restore, slices.Collect(maps.Keys(cfg.Restores)))
		}
		return []string{addr}, nil
	}
	if len(sel.Backups) == 0 {
		return slices.Sorted(maps.Keys(cfg.Backups)), nil
	}
	var start []string
	var diags hcl.Diagnostics
	for _, name := range sel.Backups {
		addr := "backup." + strings.TrimPrefix(name, "backup.")
		if cfg.Backups[addr] == nil {
			diags = append(diags, unknownName("backup", name, slices.Collect(maps.Keys(cfg.Backups)))...)
			continue
		}
		start = append(start, addr)
	}
	return start, diags
}

func unknownName(kind, name string, addrs []string) hcl.Diagnostics {
	var names []string
	for _, a := range addrs {
		names = append(names, strings.TrimPrefix(a, kind+"."))
	}
	slices.Sort(names)
	known := "none are declared"
	if len(names) > 0 {
		known = "declared: " + strings.Join(names, ", ")
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Unknown " + kind,
		Detail:   fmt.Sprintf("No %s named %q is declared (%s).", kind, name, known),
	}}
}
