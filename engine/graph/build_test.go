package graph

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/velinhq/velin/engine/config"
)

func mustBuild(t *testing.T, cfg *config.Config, sel Selection) *Graph {
	t.Helper()
	g, diags := Build(cfg, sel)
	if diags.HasErrors() {
		t.Fatalf("Build: %s", diags.Error())
	}
	return g
}

func ids(nodes []*Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.ID)
	}
	return out
}

func TestBuildBackupShape(t *testing.T) {
	g := mustBuild(t, standard().cfg, Selection{Backups: []string{"nightly"}})
	const b = "backup.nightly"
	want := []string{
		b + "/before/step.exec.maintenance_on",
		b + "/source.files.site",
		b + "/source.sqlite.app",
		b + "/snapshot",
		b + "/verify",
		b + "/commit",
		b + "/retention",
		b + "/after/step.exec.notify",
		b + "/finally/step.exec.maintenance_off",
		b + "/finally/step.http.ping",
	}
	if got := ids(g.Nodes()); !slices.Equal(got, want) {
		t.Fatalf("nodes:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	deps := map[string][]string{
		want[0]: nil,
		want[1]: {want[0]},
		want[2]: {want[0]},
		want[3]: {want[1], want[2]},
		want[4]: {want[3]},
		want[5]: {want[4]},
		want[6]: {want[4], want[5]}, // retention and after wait for a verified snapshot
		want[7]: {want[4], want[5], want[6]},
		want[8]: want[:8],
		want[9]: {want[8]},
	}
	for id, w := range deps {
		if got := g.Deps(id); !slices.Equal(got, w) {
			t.Errorf("Deps(%s) = %v, want %v", id, got, w)
		}
	}
	checkNode(t, g.Node(want[1]), KindSource, PhaseMain, b, "source.files.site")
	checkNode(t, g.Node(want[0]), KindStep, PhaseBefore, b, "step.exec.maintenance_on")
	checkNode(t, g.Node(want[6]), KindRetention, PhaseMain, b, b)
	checkNode(t, g.Node(want[7]), KindStep, PhaseAfter, b, "step.exec.notify")
	checkNode(t, g.Node(want[9]), KindStep, PhaseFinally, b, "step.http.ping")
	cfg := standard().cfg
	if got, w := g.Node(want[1]).Range, cfg.Sources["source.files.site"].DeclRange; got != w {
		t.Errorf("source node range %v, want the source's declaration %v", got, w)
	}
	if got, w := g.Node(want[6]).Range, cfg.Backups[b].Retention.DeclRange; got != w {
		t.Errorf("retention node range %v, want %v", got, w)
	}
}

func checkNode(t *testing.T, n *Node, kind Kind, phase Phase, owner, addr string) {
	t.Helper()
	if n == nil {
		t.Fatal("node missing")
	}
	if n.Kind != kind || n.Phase != phase || n.Owner != owner || n.Addr != addr {
		t.Errorf("%s: got %s/%s/%s/%s, want %s/%s/%s/%s", n.ID, n.Kind, n.Phase, n.Owner, n.Addr, kind, phase, owner, addr)
	}
}

func TestBuildWithoutOptionalNodes(t *testing.T) {
	f := newFixture()
	f.source("files", "site")
	f.step("exec", "notify")
	f.backup(&config.Backup{Name: "plain", Sources: f.refs("source.files.site"), After: f.refs("step.exec.notify")})
	g := mustBuild(t, f.cfg, Selection{})
	want := []string{"backup.plain/source.files.site", "backup.plain/snapshot", "backup.plain/commit", "backup.plain/after/step.exec.notify"}
	if got := ids(g.Nodes()); !slices.Equal(got, want) {
		t.Fatalf("nodes %v, want %v", got, want)
	}
	if got := g.Deps("backup.plain/commit"); !slices.Equal(got, []string{"backup.plain/snapshot"}) {
		t.Errorf("commit deps %v", got)
	}
	if got := g.Deps("backup.plain/after/step.exec.notify"); !slices.Equal(got, []string{"backup.plain/commit"}) {
		t.Errorf("after deps %v", got)
	}
}

func TestBuildAllBackupsByDefault(t *testing.T) {
	g := mustBuild(t, standard().cfg, Selection{})
	owners := map[string]int{}
	for _, n := range g.Nodes() {
		owners[n.Owner]++
	}
	if owners["backup.nightly"] != 10 || owners["backup.offsite"] != 3 || owners["backup.logs"] != 3 || owners["restore.site"] != 0 {
		t.Errorf("nodes per owner: %v", owners)
	}
}

func TestBuildDependsOn(t *testing.T) {
	g := mustBuild(t, standard().cfg, Selection{Backups: []string{"offsite"}})
	var nightly []string
	for _, n := range g.Nodes() {
		switch n.Owner {
		case "backup.nightly":
			nightly = append(nightly, n.ID)
		case "backup.offsite":
		default:
			t.Errorf("unexpected node %s", n.ID)
		}
	}
	if len(nightly) != 10 {
		t.Fatalf("depends_on should pull in all 10 nightly nodes, got %v", nightly)
	}
	if got := g.Deps("backup.offsite/source.files.site"); !slices.Equal(got, nightly) {
		t.Errorf("offsite root deps:\n  %v\nwant every nightly node:\n  %v", got, nightly)
	}
	all := ids(g.Nodes())
	if slices.Index(all, "backup.offsite/source.files.site") < slices.Index(all, "backup.nightly/finally/step.http.ping") {
		t.Errorf("offsite ordered before nightly finished: %v", all)
	}
}

func TestBuildDependsOnWithBeforeSteps(t *testing.T) {
	f := standard()
	f.cfg.Backups["backup.offsite"].Before = f.refs("step.exec.notify")
	g := mustBuild(t, f.cfg, Selection{Backups: []string{"backup.offsite"}})
	if got := g.Deps("backup.offsite/before/step.exec.notify"); len(got) != 10 {
		t.Errorf("before step (the root) should depend on all 10 nightly nodes, got %v", got)
	}
	if got := g.Deps("backup.offsite/source.files.site"); !slices.Equal(got, []string{"backup.offsite/before/step.exec.notify"}) {
		t.Errorf("source deps %v", got)
	}
}

func TestBuildRestore(t *testing.T) {
	g := mustBuild(t, standard().cfg, Selection{Restore: "site", Backups: []string{"logs"}})
	const r = "restore.site"
	want := []string{r + "/before/step.exec.maintenance_on", r + "/source.files.site", r + "/finally/step.exec.maintenance_off"}
	if got := ids(g.Nodes()); !slices.Equal(got, want) {
		t.Fatalf("nodes %v, want %v", got, want)
	}
	checkNode(t, g.Node(want[1]), KindRestore, PhaseMain, r, "source.files.site")
	if got := g.Deps(want[2]); !slices.Equal(got, want[:2]) {
		t.Errorf("finally deps %v", got)
	}
}

func TestBuildRestoreAllSourcesAndDependsOn(t *testing.T) {
	f := standard()
	f.restore(&config.Restore{
		Name:      "all",
		From:      f.ref("backup.nightly"),
		After:     f.refs("step.exec.notify"),
		DependsOn: f.refs("backup.logs"),
	})
	g := mustBuild(t, f.cfg, Selection{Restore: "all"})
	const r = "restore.all"
	want := []string{
		"backup.logs/source.files.logs", "backup.logs/snapshot", "backup.logs/commit",
		r + "/source.files.site", r + "/source.sqlite.app", r + "/after/step.exec.notify",
	}
	if got := ids(g.Nodes()); !slices.Equal(got, want) {
		t.Fatalf("nodes %v, want %v", got, want)
	}
	if got := g.Deps(want[5]); !slices.Equal(got, want[3:5]) {
		t.Errorf("after deps %v", got)
	}
	if got := g.Deps(want[3]); !slices.Equal(got, want[:3]) {
		t.Errorf("restore root deps %v, want the logs backup", got)
	}
	if got := g.Deps(want[4]); !slices.Equal(got, want[3:4]) {
		t.Errorf("second restored source waits for %v, want the first alone", got)
	}
}

// TestBuildRestoreOneAfterTheOther: a restore block restores its sources
// one after the other, in the listed order except that a source comes
// after a listed source it depends_on; the after and finally steps wait
// for all of them.
func TestBuildRestoreOneAfterTheOther(t *testing.T) {
	f := standard()
	f.cfg.Sources["source.files.site"].DependsOn = f.refs("source.files.logs")
	f.backup(&config.Backup{Name: "all", Sources: f.refs("source.sqlite.app", "source.files.site", "source.files.logs")})
	f.restore(&config.Restore{Name: "all", From: f.ref("backup.all"),
		Sources: f.refs("source.sqlite.app", "source.files.site", "source.files.logs"),
		After:   f.refs("step.exec.notify"), Finally: f.refs("step.http.ping")})
	g := mustBuild(t, f.cfg, Selection{Restore: "all"})
	const r = "restore.all"
	chain := []string{r + "/source.sqlite.app", r + "/source.files.logs", r + "/source.files.site"}
	if got := g.Deps(chain[0]); len(got) != 0 {
		t.Errorf("first source waits for %v", got)
	}
	for i := 1; i < len(chain); i++ {
		if got := g.Deps(chain[i]); !slices.Equal(got, chain[i-1:i]) {
			t.Errorf("%s waits for %v, want %s", chain[i], got, chain[i-1])
		}
	}
	if got := g.Deps(r + "/after/step.exec.notify"); !slices.Equal(sorted(got), sorted(chain)) {
		t.Errorf("after step waits for %v, want every restored source", got)
	}
	if got := g.Deps(r + "/finally/step.http.ping"); len(got) != 4 {
		t.Errorf("finally waits for %v, want the 3 sources and the after step", got)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestBuildCycle(t *testing.T) {
	f := newFixture()
	f.source("files", "site")
	a := f.backup(&config.Backup{Name: "a", Sources: f.refs("source.files.site")})
	b := f.backup(&config.Backup{Name: "b", Sources: f.refs("source.files.site"), DependsOn: f.refs("backup.a")})
	c := f.backup(&config.Backup{Name: "c", Sources: f.refs("source.files.site")})
	a.DependsOn = f.refs("backup.c")
	c.DependsOn = f.refs("backup.b")
	self := f.backup(&config.Backup{Name: "self", Sources: f.refs("source.files.site")})
	self.DependsOn = f.refs("backup.self")

	g, diags := Build(f.cfg, Selection{Backups: []string{"self"}})
	if g != nil || len(diags) != 2 {
		t.Fatalf("want no graph and 2 diagnostics, got %v: %s", g != nil, diags.Error())
	}
	d := diags[0]
	wantDetail := "backup.a (velin.hcl:" + strconv.Itoa(a.DeclRange.Start.Line) + ") -> backup.c (velin.hcl:" +
		strconv.Itoa(c.DeclRange.Start.Line) + ") -> backup.b (velin.hcl:" + strconv.Itoa(b.DeclRange.Start.Line) + ") -> backup.a"
	if d.Summary != "Dependency cycle" || !strings.Contains(d.Detail, wantDetail) {
		t.Errorf("diagnostic %q / %q\nwant detail containing %q", d.Summary, d.Detail, wantDetail)
	}
	if d.Subject == nil || *d.Subject != a.DeclRange {
		t.Errorf("subject %v, want %v", d.Subject, a.DeclRange)
	}
	wantSelf := "backup.self (velin.hcl:" + strconv.Itoa(self.DeclRange.Start.Line) + ") -> backup.self"
	if !strings.Contains(diags[1].Detail, wantSelf) {
		t.Errorf("self cycle detail %q, want %q", diags[1].Detail, wantSelf)
	}
}

func TestBuildRestoreCycle(t *testing.T) {
	f := standard()
	f.restore(&config.Restore{Name: "x", From: f.ref("backup.nightly"), DependsOn: f.refs("restore.y")})
	f.restore(&config.Restore{Name: "y", From: f.ref("backup.nightly"), DependsOn: f.refs("restore.x")})
	_, diags := Build(f.cfg, Selection{})
	if len(diags) != 1 || diags[0].Summary != "Dependency cycle" ||
		!strings.Contains(diags[0].Detail, "restore.x (velin.hcl:") || !strings.Contains(diags[0].Detail, "-> restore.x.") {
		t.Fatalf("diagnostics: %s", diags.Error())
	}
}

func TestBuildUnknownSelection(t *testing.T) {
	tests := []struct {
		sel           Selection
		summary, text string
	}{
		{Selection{Backups: []string{"nightly", "weekly"}}, "Unknown backup", `"weekly" is declared (declared: logs, nightly, offsite)`},
		{Selection{Restore: "db"}, "Unknown restore", `"db" is declared (declared: site)`},
	}
	for _, tt := range tests {
		g, diags := Build(standard().cfg, tt.sel)
		if g != nil || len(diags) != 1 || diags[0].Summary != tt.summary || !strings.Contains(diags[0].Detail, tt.text) {
			t.Errorf("%+v: got %s, want %s: …%s…", tt.sel, diags.Error(), tt.summary, tt.text)
		}
	}
}

func TestBuildReferenceErrors(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(f *fixture) config.Ref // returns the reference the diagnostic must point at
		summary string
	}{
		{"undeclared step", func(f *fixture) config.Ref {
			r := f.ref("step.exec.missing")
			f.cfg.Backups["backup.logs"].Before = []config.Ref{r}
			return r
		}, "Reference to undeclared step"},
		{"undeclared source", func(f *fixture) config.Ref {
			r := f.ref("source.files.missing")
			f.cfg.Backups["backup.logs"].Sources = append(f.cfg.Backups["backup.logs"].Sources, r)
			return r
		}, "Reference to undeclared source"},
		{"duplicate source", func(f *fixture) config.Ref {
			r := f.ref("source.files.logs")
			f.cfg.Backups["backup.logs"].Sources = append(f.cfg.Backups["backup.logs"].Sources, r)
			return r
		}, "Duplicate reference"},
		{"undeclared depends_on", func(f *fixture) config.Ref {
			r := f.ref("backup.weekly")
			f.cfg.Backups["backup.logs"].DependsOn = []config.Ref{r}
			return r
		}, "Reference to undeclared block"},
		{"backup depending on a restore", func(f *fixture) config.Ref {
			r := f.ref("restore.site")
			f.cfg.Backups["backup.logs"].DependsOn = []config.Ref{r}
			return r
		}, "Invalid depends_on"},
		{"restored source not in backup", func(f *fixture) config.Ref {
			r := f.ref("source.files.logs")
			f.cfg.Restores["restore.site"].Sources = []config.Ref{r}
			return r
		}, "Source not in backup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := standard()
			ref := tt.edit(f)
			sel := Selection{}
			if strings.HasPrefix(tt.name, "restored") {
				sel.Restore = "site"
			}
			g, diags := Build(f.cfg, sel)
			if g != nil || len(diags) != 1 {
				t.Fatalf("want no graph and one diagnostic, got %s", diags.Error())
			}
			if diags[0].Summary != tt.summary || diags[0].Subject == nil || *diags[0].Subject != ref.Range {
				t.Errorf("got %q at %v, want %q at %v", diags[0].Summary, diags[0].Subject, tt.summary, ref.Range)
			}
		})
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	first := mustBuild(t, standard().cfg, Selection{})
	for range 20 {
		g := mustBuild(t, standard().cfg, Selection{})
		if !slices.Equal(ids(g.Nodes()), ids(first.Nodes())) || g.DOT() != first.DOT() {
			t.Fatal("two builds of the same configuration differ")
		}
	}
}

func TestNodesIsACopy(t *testing.T) {
	g := mustBuild(t, standard().cfg, Selection{})
	ns := g.Nodes()
	ns[0] = nil
	if g.Nodes()[0] == nil {
		t.Fatal("Nodes exposes the graph's slice")
	}
	if g.Deps("no/such/node") != nil || g.Node("no/such/node") != nil {
		t.Fatal("unknown ids should give nil")
	}
}
