package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/velinhq/velin/engine/redact"
	"github.com/velinhq/velin/providers/provider"
)

// MainFile is the name `velin init` writes and Load looks for first.
const MainFile = "velin.hcl"

// fileSuffix marks the other configuration files of a directory.
const fileSuffix = ".velin.hcl"

// LoadOptions say what to load and with which variable values.
type LoadOptions struct {
	// Path is a file or a directory; "" means the current directory. A
	// directory loads velin.hcl and every *.velin.hcl in it, sorted by name.
	Path string
	// Vars are raw "-var name=value" arguments, in command-line order.
	Vars []string
	// VarFiles are -var-file paths: HCL files of `name = value` attributes.
	VarFiles []string
	// Env is the environment as from os.Environ(), used by env() and for
	// VELIN_VAR_<name> variable values.
	Env []string
	// Registry lists the source, target and step types.
	Registry *provider.Registry
	// Now is the clock for timestamp(); nil means time.Now.
	Now func() time.Time
}

// loader holds the state of one Load.
type loader struct {
	opts  LoadOptions
	cfg   *Config
	files map[string]*hcl.File
	env   map[string]string
	// declared maps every block address to its header range, including
	// blocks whose body failed to decode, so references to them do not
	// cascade into more errors.
	declared map[string]hcl.Range
	// failed lists "var.x" and "local.y" whose value could not be computed;
	// bodies that use them are not decoded, to avoid follow-on errors.
	failed map[string]bool
	// ctx evaluates engine arguments and provider bodies: values unmarked.
	ctx *hcl.EvalContext
	// marked is the same context with sensitive values marked, built on
	// first use once locals are known.
	marked *hcl.EvalContext
	funcs  map[string]function.Function
}

// Load reads, decodes and validates a configuration. The files map (file
// name → parsed file, including -var-files) is returned even on error, for
// printing snippets. The *Config is never nil: when diags has errors it is
// partial, and only its Secrets (and Redact) are meant to be used, to keep
// secrets out of the printed diagnostics.
func Load(opts LoadOptions) (*Config, map[string]*hcl.File, hcl.Diagnostics) {
	l := &loader{
		opts:     opts,
		cfg:      newConfig(),
		files:    map[string]*hcl.File{},
		env:      envMap(opts.Env),
		declared: map[string]hcl.Range{},
		failed:   map[string]bool{},
	}
	if l.opts.Now == nil {
		l.opts.Now = time.Now
	}
	if l.opts.Registry == nil {
		l.opts.Registry = &provider.Registry{}
	}
	diags := l.load()
	l.cfg.Secrets = uniqueSecrets(l.cfg.Secrets)
	redactDiags(diags, l.cfg.Secrets)
	return l.cfg, l.files, diags
}

// redactDiags masks secrets in the diagnostics' texts (a function error may
// quote an argument). Source snippets are masked by WriteDiagnostics.
func redactDiags(diags hcl.Diagnostics, secrets []string) {
	if len(secrets) == 0 {
		return
	}
	r := redact.New(secrets...)
	for _, d := range diags {
		d.Summary, d.Detail = r.String(d.Summary), r.String(d.Detail)
	}
}

func newConfig() *Config {
	return &Config{
		Variables: map[string]*Variable{},
		Locals:    map[string]*Local{},
		Sources:   map[string]*Source{},
		Targets:   map[string]*Target{},
		Steps:     map[string]*Step{},
		Backups:   map[string]*Backup{},
		Restores:  map[string]*Restore{},

		Deployments: map[string]*Deployment{},
		Notifies:    map[string]*Notify{},
	}
}

func (l *loader) load() hcl.Diagnostics {
	names, dir, diags := findFiles(l.opts.Path)
	if diags.HasErrors() {
		return diags
	}
	l.cfg.Dir, l.cfg.Files = dir, names
	sources, diags := l.parseFiles(names)
	if diags.HasErrors() {
		return diags
	}
	blocks, moreDiags := l.rootBlocks()
	diags = append(diags, moreDiags...)
	diags = append(diags, l.decodeAll(blocks)...)
	hash, err := configHash(sources, l.cfg.Variables)
	if err != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot hash configuration", Detail: err.Error()})
	}
	l.cfg.Hash = hash
	return diags
}

// decodeAll decodes the blocks in dependency order: values first, then the
// blocks that can be referenced, then the blocks that reference them.
func (l *loader) decodeAll(b rootBlocks) hcl.Diagnostics {
	diags := l.decodeVariables(b.variables)
	diags = append(diags, l.decodeLocals(b.locals)...)
	l.ctx = l.evalContext()
	diags = append(diags, l.declareAll(b)...)
	diags = append(diags, l.decodeProviders(b)...)
	for _, blk := range b.notifies {
		diags = append(diags, l.decodeNotify(blk)...)
	}
	for _, blk := range b.backups {
		diags = append(diags, l.decodeBackup(blk)...)
	}
	for _, blk := range b.restores {
		diags = append(diags, l.decodeRestore(blk)...)
	}
	for _, blk := range b.deployments {
		diags = append(diags, l.decodeDeployment(blk)...)
	}
	return diags
}

// findFiles resolves Path into the configuration file names (as shown in
// messages) and the absolute directory relative paths resolve against.
func findFiles(path string) ([]string, string, hcl.Diagnostics) {
	shown := path
	if path == "" {
		path, shown = ".", ""
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read configuration",
			Detail:   fmt.Sprintf("%s: %v. Check the path, or run `velin init` to write a starter %s.", path, unwrapPathError(err), MainFile),
		}}
	}
	if !st.IsDir() {
		dir, err := filepath.Abs(filepath.Dir(path))
		return []string{path}, dir, absDiags(err)
	}
	dir, err := filepath.Abs(path)
	if err != nil {
		return nil, "", absDiags(err)
	}
	names, err := configNames(path)
	if err != nil || len(names) == 0 {
		return nil, "", noConfigDiags(dir, err)
	}
	for i, n := range names {
		names[i] = filepath.Join(shown, n)
	}
	return names, dir, nil
}

// configNames lists velin.hcl and *.velin.hcl in dir, sorted.
func configNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && (n == MainFile || strings.HasSuffix(n, fileSuffix)) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

func noConfigDiags(dir string, err error) hcl.Diagnostics {
	detail := fmt.Sprintf("Looked for %s and *%s in %s but found none. Run `velin init` to write a starter %s, or name a file with -f.", MainFile, fileSuffix, dir, MainFile)
	if err != nil {
		detail = fmt.Sprintf("%v. Run `velin init` in a readable directory to write a starter %s.", err, MainFile)
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No velin configuration found", Detail: detail}}
}

func absDiags(err error) hcl.Diagnostics {
	if err == nil {
		return nil
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot resolve configuration directory", Detail: err.Error()}}
}

// parseFiles reads and parses every file, returning the raw contents by name.
func (l *loader) parseFiles(names []string) (map[string][]byte, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	sources := map[string][]byte{}
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read configuration file",
				Detail:   fmt.Sprintf("%s: %v.", name, unwrapPathError(err)),
			})
			continue
		}
		sources[name] = src
		if d := checkNesting(src, name, hcl.InitialPos); d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		f, d := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		diags = append(diags, d...)
		if f != nil {
			l.files[name] = f
		}
	}
	return sources, diags
}

// evalContext is the context engine arguments and provider bodies are
// evaluated in. Values are unmarked: providers decode with gohcl, which
// cannot handle marks; secrets are already collected in Config.Secrets.
func (l *loader) evalContext() *hcl.EvalContext {
	vars := map[string]cty.Value{}
	for name, v := range l.cfg.Variables {
		vars[name] = unmarked(v.Value)
	}
	locals := map[string]cty.Value{}
	for name, lv := range l.cfg.Locals {
		locals[name] = unmarked(lv.Value)
	}
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(vars), "local": cty.ObjectVal(locals)},
		Functions: l.functions(),
	}
}

func unmarked(v cty.Value) cty.Value {
	if v == cty.NilVal {
		return cty.DynamicVal
	}
	u, _ := v.UnmarkDeep()
	return u
}
