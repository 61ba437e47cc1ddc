package graph

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/velinhq/velin/engine/config"
)

// fixture builds a *config.Config by hand, giving every block and reference
// its own line of "velin.hcl".
type fixture struct {
	cfg  *config.Config
	line int
}

func newFixture() *fixture {
	return &fixture{cfg: &config.Config{
		Dir:      "/etc/velin",
		Sources:  map[string]*config.Source{},
		Targets:  map[string]*config.Target{},
		Steps:    map[string]*config.Step{},
		Backups:  map[string]*config.Backup{},
		Restores: map[string]*config.Restore{},
	}}
}

func lineRange(line int) hcl.Range {
	return hcl.Range{Filename: "velin.hcl", Start: hcl.Pos{Line: line, Column: 1}, End: hcl.Pos{Line: line, Column: 20}}
}

func (f *fixture) next() hcl.Range {
	f.line++
	return lineRange(f.line)
}

// ref is a reference to addr written on the next line.
func (f *fixture) ref(addr string) config.Ref { return config.Ref{Addr: addr, Range: f.next()} }

func (f *fixture) refs(addrs ...string) []config.Ref {
	var out []config.Ref
	for _, a := range addrs {
		out = append(out, f.ref(a))
	}
	return out
}

func (f *fixture) source(typ, name string) {
	s := &config.Source{Type: typ, Name: name, DeclRange: f.next()}
	f.cfg.Sources[s.Addr()] = s
}

func (f *fixture) step(typ, name string) {
	s := &config.Step{Type: typ, Name: name, DeclRange: f.next()}
	f.cfg.Steps[s.Addr()] = s
}

func (f *fixture) backup(b *config.Backup) *config.Backup {
	b.DeclRange = f.next()
	if b.Target.Addr == "" {
		b.Target = f.ref("target.local.disk")
	}
	f.cfg.Backups[b.Addr()] = b
	return b
}

func (f *fixture) restore(r *config.Restore) *config.Restore {
	r.DeclRange = f.next()
	f.cfg.Restores[r.Addr()] = r
	return r
}

// standard is the configuration most tests use:
//   - backup.nightly: maintenance on/off around files.site and sqlite.app,
//     verify, retention, notify after, ping finally;
//   - backup.offsite: files.site, depends on nightly;
//   - backup.logs: files.logs alone;
//   - restore.site: files.site from nightly, maintenance on/off around it.
func standard() *fixture {
	f := newFixture()
	f.source("files", "site")
	f.source("sqlite", "app")
	f.source("files", "logs")
	f.step("exec", "maintenance_on")
	f.step("exec", "maintenance_off")
	f.step("exec", "notify")
	f.step("http", "ping")
	f.backup(&config.Backup{
		Name:      "nightly",
		Sources:   f.refs("source.files.site", "source.sqlite.app"),
		Before:    f.refs("step.exec.maintenance_on"),
		After:     f.refs("step.exec.notify"),
		Finally:   f.refs("step.exec.maintenance_off", "step.http.ping"),
		Verify:    config.Verify{Checksums: true},
		Retention: &config.Retention{KeepDaily: 7, DeclRange: f.next()},
	})
	f.backup(&config.Backup{
		Name:      "offsite",
		Sources:   f.refs("source.files.site"),
		DependsOn: f.refs("backup.nightly"),
	})
	f.backup(&config.Backup{Name: "logs", Sources: f.refs("source.files.logs")})
	f.restore(&config.Restore{
		Name:    "site",
		From:    f.ref("backup.nightly"),
		Sources: f.refs("source.files.site"),
		Before:  f.refs("step.exec.maintenance_on"),
		Finally: f.refs("step.exec.maintenance_off"),
	})
	return f
}
