package config

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/velinhq/velin/engine/schedule"
	"github.com/velinhq/velin/providers/provider"
)

// Config is a whole decoded configuration: every file of one directory (or
// the one file named with -f), merged.
type Config struct {
	Dir       string // directory that relative paths resolve against
	Files     []string
	Variables map[string]*Variable
	Locals    map[string]*Local
	Sources   map[string]*Source // key: Addr(), e.g. "source.files.site"
	Targets   map[string]*Target
	Steps     map[string]*Step
	Backups   map[string]*Backup  // key: "backup.nightly"
	Restores  map[string]*Restore // key: "restore.site"
	// Deployments are the deployment blocks, key "deployment.api".
	Deployments map[string]*Deployment
	// Notifies are the notify blocks, key "notify.webhook.ops".
	Notifies map[string]*Notify

	// Secrets lists every sensitive value found while decoding (sensitive
	// variables, passphrases, passwords): output must redact them.
	Secrets []string

	// Advice holds warnings about the configuration's secrets (too short
	// for the output search, written literally in the plan). Only `velin
	// validate` shows them: they would repeat on every run otherwise.
	Advice hcl.Diagnostics

	// Hash is a digest of the configuration's source files and variable
	// values; a saved plan records it to detect a stale plan.
	Hash string
}

// Ref is a reference from one block to another, kept with where it was written.
type Ref struct {
	Addr  string    // "source.files.site", "step.exec.x", "backup.nightly", "target.local.disk"
	Range hcl.Range // where the reference appears
}

// Variable is a `variable "<name>"` block with its final value.
type Variable struct {
	Name        string
	Type        cty.Type
	Default     cty.Value
	Value       cty.Value // after -var, -var-file, VELIN_VAR_name, default
	Sensitive   bool
	Description string
	DeclRange   hcl.Range
}

// Local is one attribute of a `locals` block.
type Local struct {
	Name      string
	Value     cty.Value
	DeclRange hcl.Range
}

// Source is a `source "<type>" "<name>"` block.
type Source struct {
	Type, Name string
	Impl       provider.Source
	DependsOn  []Ref // depends_on: sources and steps run first
	DeclRange  hcl.Range
}

// Addr is the block's address, "source.<type>.<name>".
func (s *Source) Addr() string { return "source." + s.Type + "." + s.Name }

// Target is a `target "<type>" "<name>"` block.
type Target struct {
	Type, Name string
	Impl       provider.Target
	DependsOn  []Ref // depends_on: sources and steps run first
	DeclRange  hcl.Range
}

// Addr is the block's address, "target.<type>.<name>".
func (t *Target) Addr() string { return "target." + t.Type + "." + t.Name }

// Step is a `step "<type>" "<name>"` block.
type Step struct {
	Type, Name string
	Impl       provider.Step
	DependsOn  []Ref // depends_on: sources and steps run first
	DeclRange  hcl.Range
}

// Addr is the block's address, "step.<type>.<name>".
func (s *Step) Addr() string { return "step." + s.Type + "." + s.Name }

// Retention is a `retention { … }` block. A zero field means "not set".
type Retention struct {
	Target                                                               *Ref // the copy target it applies to; nil: the backup's target
	KeepLast, KeepHourly, KeepDaily, KeepWeekly, KeepMonthly, KeepYearly int
	KeepWithin                                                           time.Duration
	DeclRange                                                            hcl.Range
}

// Verify is a `verify { … }` block.
type Verify struct {
	Checksums   bool
	TestRestore bool
	Asserts     []Assert // in the order written; only with TestRestore
}

// Assert is an `assert "<name>" { … }` block of a verify block: a check
// the test restore runs on the restored copy of one source.
type Assert struct {
	Name      string
	Source    Ref // one of the backup's sources
	SQL       string
	Keys      string
	MinCount  int64
	DeclRange hcl.Range
}

// AssertsFor returns the assertions of source addr ("source.sqlite.app")
// as the provider takes them.
func (v Verify) AssertsFor(addr string) []provider.Assert {
	var out []provider.Assert
	for _, a := range v.Asserts {
		if a.Source.Addr == addr {
			out = append(out, a.Provider())
		}
	}
	return out
}

// Provider returns a as the provider takes it.
func (a Assert) Provider() provider.Assert {
	return provider.Assert{Name: a.Name, SQL: a.SQL, Keys: a.Keys, MinCount: a.MinCount}
}

// Backup is a `backup "<name>"` block.
type Backup struct {
	Name      string
	Sources   []Ref
	Target    Ref
	Strategy  string // "full" or "incremental" (default "incremental")
	Before    []Ref
	After     []Ref
	Finally   []Ref
	DependsOn []Ref
	Retention *Retention // nil when absent
	// CopyTo are the targets each new snapshot is copied to once it is
	// committed (copy_to); CopyRetention is their own retention, by
	// target address (a retention block with target = …).
	CopyTo        []Ref
	CopyRetention map[string]*Retention
	Verify        Verify
	// Schedule is when `velin daemon` runs the backup (nil: never, only
	// by hand); Missed is "run_once" or "skip" (a run missed while the
	// daemon was down); Jitter is the most a run is delayed at random.
	Schedule *schedule.Schedule
	Missed   string
	Jitter   time.Duration
	// Notify are the notify blocks alerted when the backup ends, as
	// NotifyLevel ("errors", "warnings" or "all") says.
	Notify      []Ref
	NotifyLevel string
	DeclRange   hcl.Range
}

// Addr is the block's address, "backup.<name>".
func (b *Backup) Addr() string { return "backup." + b.Name }

// Restore is a `restore "<name>"` block: a declared restore, run only when
// named with -restore.
type Restore struct {
	Name      string
	From      Ref    // backup.X
	Sources   []Ref  // which of the backup's sources; empty means all
	To        string // destination (absolute, resolved against Dir); empty means in place
	Include   []string
	Flush     *bool    // overrides the sources' flush (Flushable sources only); nil: theirs
	Globals   bool     // create the snapshot's missing roles first (GlobalsRestorer sources only)
	Buckets   []string // only these buckets (s3 sources only); empty: all
	ToBucket  string   // restore the one bucket selected into this one (s3 sources only)
	Before    []Ref
	After     []Ref
	Finally   []Ref
	DependsOn []Ref
	// Notify and NotifyLevel: as a backup's.
	Notify      []Ref
	NotifyLevel string
	DeclRange   hcl.Range
}

// Addr is the block's address, "restore.<name>".
func (r *Restore) Addr() string { return "restore." + r.Name }
