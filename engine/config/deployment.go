package config

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Deployment is a `deployment "<name>"` block: where a service's releases
// live, what a version captures and how the service is stopped, started,
// checked and migrated. engine/deploy acts on it.
type Deployment struct {
	Name        string
	Root        string   // absolute: releases/<version>/ and the current symlink
	Artifacts   []string // absolute paths a version captures
	Config      []string // absolute paths a snapshot adds
	Target      Ref      // the repository versions are stored in
	Keep        int      // releases kept on disk (current, previous and pinned always are)
	Stop, Start []string // argv; empty: nothing to run
	Health      *Health  // nil: no health check
	Migrate     *Migrate // nil: no schema migrations
	Transaction Transaction
	// Notify and NotifyLevel: as a backup's; the events are listed in
	// docs/notifications.md (deployment.*).
	Notify      []Ref
	NotifyLevel string
	DeclRange   hcl.Range
}

// Addr is the block's address, "deployment.<name>".
func (d *Deployment) Addr() string { return "deployment." + d.Name }

// Health is a deployment's `health { … }` block: exactly one of HTTP, Exec
// and TCP is set.
type Health struct {
	HTTP              string
	Exec              []string
	TCP               string
	Timeout, Interval time.Duration
}

// Migrate is a deployment's `migrate { … }` block. DownTo holds the
// placeholder "{version}".
type Migrate struct {
	Current, DownTo []string
}

// Transaction is a deployment's `transaction { … }` block (defaults when
// absent).
type Transaction struct {
	Timeout time.Duration
	Backup  *Ref // optional: a backup taken at begin
}

// Deployment defaults.
const (
	defaultKeep           = 5
	defaultHealthTimeout  = 30 * time.Second
	defaultHealthInterval = time.Second
	defaultTxnTimeout     = 10 * time.Minute
	versionPlaceholder    = "{version}"
)

var deploymentSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "root", Required: true}, {Name: "artifacts", Required: true},
		{Name: "config"}, {Name: "target", Required: true}, {Name: "keep"},
		{Name: "stop"}, {Name: "start"}, {Name: "notify"}, {Name: "notify_level"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "health"}, {Type: "migrate"}, {Type: "transaction"}},
}

var healthSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "http"}, {Name: "exec"}, {Name: "tcp"}, {Name: "timeout"}, {Name: "interval"}},
}

var migrateSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "current", Required: true}, {Name: "down_to", Required: true}},
}

var transactionSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "timeout"}, {Name: "backup"}},
}

// decodeDeployment decodes a deployment block; it is added to the Config
// only when it has no errors. Targets and backups must be declared first.
func (l *loader) decodeDeployment(blk *hcl.Block) hcl.Diagnostics {
	if !l.isFirst(blk) {
		return nil
	}
	d := &Deployment{Name: blk.Labels[0], Keep: defaultKeep, DeclRange: blk.DefRange,
		Transaction: Transaction{Timeout: defaultTxnTimeout}}
	content, diags := blk.Body.Content(deploymentSchema)
	attrs := content.Attributes
	if attr, ok := attrs["root"]; ok {
		diags = append(diags, l.pathAttr(attr, &d.Root)...)
	}
	if attr, ok := attrs["artifacts"]; ok {
		diags = append(diags, l.pathList(attr, true, &d.Artifacts)...)
	}
	if attr, ok := attrs["config"]; ok {
		diags = append(diags, l.pathList(attr, false, &d.Config)...)
	}
	if attr, ok := attrs["target"]; ok {
		var dd hcl.Diagnostics
		d.Target, dd = l.ref(attr.Name, attr.Expr, "target")
		diags = append(diags, dd...)
	}
	if attr, ok := attrs["keep"]; ok {
		diags = append(diags, l.keep(attr, &d.Keep)...)
	}
	for _, c := range []struct {
		name string
		out  *[]string
	}{{"stop", &d.Stop}, {"start", &d.Start}} {
		if attr, ok := attrs[c.name]; ok {
			diags = append(diags, l.argv(attr, c.out)...)
		}
	}
	diags = append(diags, l.notifyAttach(attrs, &d.Notify, &d.NotifyLevel)...)
	diags = append(diags, l.deploymentBlocks(content.Blocks, d)...)
	if !diags.HasErrors() {
		l.cfg.Deployments[d.Addr()] = d
	}
	return diags
}

// deploymentBlocks decodes health, migrate and transaction, one of each.
func (l *loader) deploymentBlocks(blocks hcl.Blocks, d *Deployment) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{}
	for _, blk := range blocks {
		if first, dup := seen[blk.Type]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate " + blk.Type + " block",
				Detail:   fmt.Sprintf("A deployment has at most one %s block; the first is at %s. Merge them.", blk.Type, posString(first)),
				Subject:  blk.DefRange.Ptr(),
			})
			continue
		}
		seen[blk.Type] = blk.DefRange
		switch blk.Type {
		case "health":
			diags = append(diags, l.decodeHealth(blk, d)...)
		case "migrate":
			diags = append(diags, l.decodeMigrate(blk, d)...)
		case "transaction":
			diags = append(diags, l.decodeTransaction(blk, d)...)
		}
	}
	return diags
}

func (l *loader) decodeHealth(blk *hcl.Block, d *Deployment) hcl.Diagnostics {
	h := &Health{Timeout: defaultHealthTimeout, Interval: defaultHealthInterval}
	content, diags := blk.Body.Content(healthSchema)
	attrs := content.Attributes
	var kinds []string
	for _, k := range []string{"http", "exec", "tcp"} {
		if _, ok := attrs[k]; ok {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 {
		what := "none"
		if len(kinds) > 1 {
			what = strings.Join(kinds, " and ")
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid health block",
			Detail:   fmt.Sprintf("A health block sets exactly one of \"http\", \"exec\" and \"tcp\"; this one sets %s.", what),
			Subject:  blk.DefRange.Ptr(),
		})
	}
	if attr, ok := attrs["http"]; ok {
		diags = append(diags, l.healthURL(attr, &h.HTTP)...)
	}
	if attr, ok := attrs["exec"]; ok {
		diags = append(diags, l.argv(attr, &h.Exec)...)
	}
	if attr, ok := attrs["tcp"]; ok {
		diags = append(diags, l.hostPort(attr, &h.TCP)...)
	}
	for _, c := range []struct {
		name string
		out  *time.Duration
	}{{"timeout", &h.Timeout}, {"interval", &h.Interval}} {
		if attr, ok := attrs[c.name]; ok {
			diags = append(diags, l.duration(attr, c.out)...)
		}
	}
	if !diags.HasErrors() && h.Interval > h.Timeout {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid interval",
			Detail:   fmt.Sprintf("The interval (%s) is longer than the timeout (%s): the check would run once at most. Shorten the interval.", h.Interval, h.Timeout),
			Subject:  attrs["interval"].Expr.Range().Ptr(),
		})
	}
	d.Health = h
	return diags
}

func (l *loader) decodeMigrate(blk *hcl.Block, d *Deployment) hcl.Diagnostics {
	m := &Migrate{}
	content, diags := blk.Body.Content(migrateSchema)
	if attr, ok := content.Attributes["current"]; ok {
		diags = append(diags, l.argv(attr, &m.Current)...)
	}
	if attr, ok := content.Attributes["down_to"]; ok {
		d := l.argv(attr, &m.DownTo)
		if !d.HasErrors() && !strings.Contains(strings.Join(m.DownTo, " "), versionPlaceholder) {
			d = append(d, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing {version}",
				Detail:   "down_to must pass the schema version to migrate to: write \"{version}\" where it goes, as in [\"./current/api\", \"migrate\", \"goto\", \"{version}\"].",
				Subject:  attr.Expr.Range().Ptr(),
			})
		}
		diags = append(diags, d...)
	}
	d.Migrate = m
	return diags
}

func (l *loader) decodeTransaction(blk *hcl.Block, d *Deployment) hcl.Diagnostics {
	content, diags := blk.Body.Content(transactionSchema)
	if attr, ok := content.Attributes["timeout"]; ok {
		diags = append(diags, l.duration(attr, &d.Transaction.Timeout)...)
	}
	if attr, ok := content.Attributes["backup"]; ok {
		ref, dd := l.ref(attr.Name, attr.Expr, "backup")
		diags = append(diags, dd...)
		if !dd.HasErrors() {
			d.Transaction.Backup = &ref
		}
	}
	return diags
}

// pathAttr evaluates a path and resolves it against the plan directory.
func (l *loader) pathAttr(attr *hcl.Attribute, out *string) hcl.Diagnostics {
	val, diags, ok := l.evalAttr(attr, cty.String)
	if !ok {
		return diags
	}
	p := val.AsString()
	if p == "" {
		return hcl.Diagnostics{emptyList(attr, "give a directory path")}
	}
	*out = l.resolvePath(p)
	return nil
}

func (l *loader) resolvePath(p string) string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(l.cfg.Dir, p)
	}
	return filepath.Clean(p)
}

// pathList evaluates a list of paths; their base names become the release's
// top-level entries, so they must differ.
func (l *loader) pathList(attr *hcl.Attribute, required bool, out *[]string) hcl.Diagnostics {
	val, diags, ok := l.evalAttr(attr, cty.List(cty.String))
	if !ok {
		return diags
	}
	if required && val.LengthInt() == 0 {
		return hcl.Diagnostics{emptyList(attr, "list at least one path, like [\"./build/api\"]")}
	}
	seen := map[string]string{}
	for _, v := range val.AsValueSlice() {
		p := v.AsString()
		if p == "" {
			return hcl.Diagnostics{emptyList(attr, "a path in the list is empty")}
		}
		abs := l.resolvePath(p)
		base := filepath.Base(abs)
		if first, dup := seen[base]; dup {
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Duplicate name in " + attr.Name,
				Detail:   fmt.Sprintf("%q and %q have the same base name %q: each path becomes a top-level entry of the release by its base name. Rename one of them.", first, p, base),
				Subject:  attr.Expr.Range().Ptr(),
			}}
		}
		seen[base] = p
		*out = append(*out, abs)
	}
	return nil
}

// argv evaluates a command: a non-empty list of strings, the first not empty.
func (l *loader) argv(attr *hcl.Attribute, out *[]string) hcl.Diagnostics {
	val, diags, ok := l.evalAttr(attr, cty.List(cty.String))
	if !ok {
		return diags
	}
	var args []string
	for _, v := range val.AsValueSlice() {
		args = append(args, v.AsString())
	}
	if len(args) == 0 || args[0] == "" {
		return hcl.Diagnostics{emptyList(attr, "give a command and its arguments, like [\"systemctl\", \"restart\", \"api\"]")}
	}
	*out = args
	return nil
}

func (l *loader) keep(attr *hcl.Attribute, out *int) hcl.Diagnostics {
	if diags := l.evalInt(attr, out); diags.HasErrors() {
		return diags
	}
	if *out < 1 {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid keep",
			Detail:   "keep must be 1 or more: the current release is always kept.",
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	return nil
}

// duration reads "30s", "10m", "500ms" (Go syntax) or velin's "1d12h".
func (l *loader) duration(attr *hcl.Attribute, out *time.Duration) hcl.Diagnostics {
	val, diags, ok := l.evalAttr(attr, cty.String)
	if !ok {
		return diags
	}
	s := val.AsString()
	d, err := time.ParseDuration(s)
	if err != nil {
		d, err = ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid " + attr.Name,
			Detail:   fmt.Sprintf("%q is not a positive duration. Write a number followed by a unit, like \"30s\", \"500ms\" or \"10m\".", s),
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	*out = d
	return nil
}

func (l *loader) healthURL(attr *hcl.Attribute, out *string) hcl.Diagnostics {
	val, diags, ok := l.evalAttr(attr, cty.String)
	if !ok {
		return diags
	}
	s := val.AsString()
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid http",
			Detail:   "http must be an http:// or https:// URL with a host, like \"http://127.0.0.1:8080/healthz\".",
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	*out = s
	return nil
}

func (l *loader) hostPort(attr *hcl.Attribute, out *string) hcl.Diagnostics {
	val, diags, ok := l.evalAttr(attr, cty.String)
	if !ok {
		return diags
	}
	s := val.AsString()
	if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid tcp",
			Detail:   fmt.Sprintf("tcp must be host:port, like \"127.0.0.1:8080\"; got %q.", s),
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	*out = s
	return nil
}
