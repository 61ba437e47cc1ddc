package graph

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/velinhq/velin/engine/config"
)

// layered is the standard configuration plus blocks whose nodes the
// library's layer-by-layer sort would interleave: zulu and alpha are ready
// at once, alpha depends on mid, and mid has parallel sources.
func layered() *fixture {
	f := standard()
	f.source("files", "m1")
	f.source("files", "m2")
	f.step("exec", "warm")
	f.backup(&config.Backup{Name: "zulu", Sources: f.refs("source.files.logs")})
	f.backup(&config.Backup{Name: "mid", Sources: f.refs("source.files.m1", "source.files.m2"),
		Before: f.refs("step.exec.warm"), Finally: f.refs("step.http.ping")})
	f.backup(&config.Backup{Name: "alpha", Sources: f.refs("source.files.site"), DependsOn: f.refs("backup.mid")})
	return f
}

// TestBuildOrderIsStable: 50 builds of the same configuration list the
// same nodes in the same order, with the same edges and the same DOT; the
// order is topological and keeps each block's nodes together.
func TestBuildOrderIsStable(t *testing.T) {
	first := mustBuild(t, layered().cfg, Selection{})
	want := ids(first.Nodes())
	for range 50 {
		g := mustBuild(t, layered().cfg, Selection{})
		if got := ids(g.Nodes()); !slices.Equal(got, want) {
			t.Fatalf("order differs between builds:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		for _, id := range want {
			if !slices.Equal(g.Deps(id), first.Deps(id)) {
				t.Fatalf("deps of %s differ between builds: %v, %v", id, g.Deps(id), first.Deps(id))
			}
		}
		if g.DOT() != first.DOT() {
			t.Fatal("DOT differs between builds")
		}
	}
	pos := map[string]int{}
	for i, id := range want {
		pos[id] = i
	}
	seen := map[string]bool{}
	for i, n := range first.Nodes() {
		for _, d := range first.Deps(n.ID) {
			if pos[d] >= i {
				t.Errorf("%s is listed before its dependency %s", n.ID, d)
			}
		}
		if i > 0 && first.Nodes()[i-1].Owner != n.Owner {
			if seen[n.Owner] {
				t.Errorf("the nodes of %s are not together: %s", n.Owner, strings.Join(want, ", "))
			}
		}
		seen[n.Owner] = true
	}
}

// cycleText is the detail and subject of the one diagnostic Build must
// return.
func cycleText(t *testing.T, cfg *config.Config) (string, hcl.Range) {
	t.Helper()
	g, diags := Build(cfg, Selection{})
	if g != nil || len(diags) != 1 || diags[0].Summary != "Dependency cycle" || diags[0].Subject == nil {
		t.Fatalf("want one Dependency cycle diagnostic, got %s", diags.Error())
	}
	return diags[0].Detail, *diags[0].Subject
}

func loc(r hcl.Range) string { return fmt.Sprintf("(velin.hcl:%d)", r.Start.Line) }

// TestBuildNodeCycleReportedWithRanges: a before step that depends on an
// after step closes a cycle through two sources running in parallel, so
// two paths are equally short. The cycle names every node with its file
// and line, points at the depends_on that closes it, and is the same in
// every build (the smaller source).
func TestBuildNodeCycleReportedWithRanges(t *testing.T) {
	build := func() (*config.Config, *config.Ref, map[string]hcl.Range) {
		f := newFixture()
		f.source("files", "s1")
		f.source("files", "s2")
		f.step("exec", "a")
		f.step("exec", "b")
		f.backup(&config.Backup{Name: "x", Sources: f.refs("source.files.s1", "source.files.s2"),
			Before: f.refs("step.exec.b"), After: f.refs("step.exec.a")})
		f.cfg.Steps["step.exec.b"].DependsOn = f.refs("step.exec.a")
		return f.cfg, &f.cfg.Steps["step.exec.b"].DependsOn[0], map[string]hcl.Range{
			"a": f.cfg.Steps["step.exec.a"].DeclRange, "b": f.cfg.Steps["step.exec.b"].DeclRange,
			"s1": f.cfg.Sources["source.files.s1"].DeclRange, "x": f.cfg.Backups["backup.x"].DeclRange,
		}
	}
	cfg, ref, r := build()
	want := "backup.x/after/step.exec.a " + loc(r["a"]) + " -> backup.x/commit " + loc(r["x"]) +
		" -> backup.x/snapshot " + loc(r["x"]) + " -> backup.x/source.files.s1 " + loc(r["s1"]) +
		" -> backup.x/before/step.exec.b " + loc(r["b"]) + " -> backup.x/after/step.exec.a."
	for range 50 {
		detail, subject := cycleText(t, cfg)
		if !strings.Contains(detail, want) {
			t.Fatalf("detail %q\nwant it to contain %q", detail, want)
		}
		if subject != ref.Range {
			t.Fatalf("subject %v, want the depends_on at %v", subject, ref.Range)
		}
		cfg, ref, _ = build()
	}
}

// TestBuildBlockCycleIsStable: a depends on b and c, both depend on d, d
// depends on a: two cycles are equally short, and every build reports the
// same one (through b), with the file and line of each block.
func TestBuildBlockCycleIsStable(t *testing.T) {
	for range 50 {
		f := newFixture()
		f.source("files", "site")
		bk := map[string]*config.Backup{}
		for _, name := range []string{"a", "b", "c", "d"} {
			bk[name] = f.backup(&config.Backup{Name: name, Sources: f.refs("source.files.site")})
		}
		bk["a"].DependsOn = f.refs("backup.b", "backup.c")
		bk["b"].DependsOn = f.refs("backup.d")
		bk["c"].DependsOn = f.refs("backup.d")
		bk["d"].DependsOn = f.refs("backup.a")
		detail, subject := cycleText(t, f.cfg)
		want := "backup.a " + loc(bk["a"].DeclRange) + " -> backup.b " + loc(bk["b"].DeclRange) +
			" -> backup.d " + loc(bk["d"].DeclRange) + " -> backup.a."
		if !strings.Contains(detail, want) || subject != bk["a"].DeclRange {
			t.Fatalf("detail %q at %v\nwant %q at %v", detail, subject, want, bk["a"].DeclRange)
		}
	}
}

// BenchmarkBuild builds one backup of n sources with a finally step (which
// waits for every node): the library's stable sort is quadratic in the
// number of nodes.
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{50, 500} {
		cfg := wideBackup(n)
		cfg.Steps["step.exec.done"] = &config.Step{Type: "exec", Name: "done"}
		cfg.Backups["backup.wide"].Finally = []config.Ref{{Addr: "step.exec.done"}}
		b.Run(fmt.Sprintf("sources=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, diags := Build(cfg, Selection{}); diags.HasErrors() {
					b.Fatal(diags.Error())
				}
			}
		})
	}
}
