package files

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"github.com/velinhq/velin/providers/provider"
)

// TypeName is the source type name in configurations.
const TypeName = "files"

// Type is the registry entry of `source "files"`.
func Type() provider.SourceType {
	return provider.SourceType{Name: TypeName, Decode: Decode,
		Recover: func(id string) (provider.Source, error) { return Recover(id) }}
}

type config struct {
	Paths          hcl.Expression `hcl:"paths"`
	Exclude        hcl.Expression `hcl:"exclude,optional"`
	FollowSymlinks bool           `hcl:"follow_symlinks,optional"`
	OneFileSystem  bool           `hcl:"one_file_system,optional"`
}

// root is one configured path.
type root struct {
	abs  string     // absolute, cleaned
	name string     // base name: the top-level entry
	rng  *hcl.Range // where the plan names it, for diagnostics (nil from New)
}

// Source backs up and restores file trees. It is safe for concurrent use.
type Source struct {
	roots          []root
	exclude        []string
	followSymlinks bool
	oneFileSystem  bool

	pending int // directories and hard links a restore holds for a barrier: maxPending (tests lower it)
}

// New returns a source over paths (absolute or relative to the working
// directory) without the checks Decode makes on user input.
func New(paths, exclude []string, followSymlinks, oneFileSystem bool) (*Source, error) {
	s := &Source{exclude: exclude, followSymlinks: followSymlinks, oneFileSystem: oneFileSystem, pending: maxPending}
	seen := map[string]string{}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("files source %s: %w", p, err)
		}
		name := filepath.Base(abs)
		if abs == string(filepath.Separator) {
			return nil, fmt.Errorf("files source: cannot back up / itself; list its directories instead")
		}
		if other, dup := seen[name]; dup {
			return nil, fmt.Errorf("files source: %s and %s have the same base name %q", other, abs, name)
		}
		seen[name] = abs
		s.roots = append(s.roots, root{abs: abs, name: name})
	}
	return s, nil
}

// Decode decodes a `source "files"` body.
func Decode(body hcl.Body, dc provider.DecodeContext) (provider.Source, hcl.Diagnostics) {
	var cfg config
	diags := gohcl.DecodeBody(body, dc.Eval, &cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	var paths, exclude []string
	diags = append(diags, gohcl.DecodeExpression(cfg.Paths, dc.Eval, &paths)...)
	if !isNull(cfg.Exclude, dc) {
		diags = append(diags, gohcl.DecodeExpression(cfg.Exclude, dc.Eval, &exclude)...)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	diags = append(diags, checkPaths(paths, cfg.Paths.Range(), dc.Dir)...)
	for _, g := range exclude {
		if !doublestar.ValidatePattern(g) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid exclude pattern",
				Detail:   fmt.Sprintf("%q is not a valid glob (doublestar syntax, e.g. \"*.tmp\" or \"cache/**\").", g),
				Subject:  cfg.Exclude.Range().Ptr(),
			})
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	for i, p := range paths {
		paths[i] = resolve(dc.Dir, p)
	}
	s, err := New(paths, exclude, cfg.FollowSymlinks, cfg.OneFileSystem)
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid paths",
			Detail: err.Error(), Subject: cfg.Paths.Range().Ptr()})
	}
	s.setRanges(cfg.Paths)
	return s, diags
}

// setRanges remembers where each path is written: its element of a list
// literal, or the whole expression.
func (s *Source) setRanges(expr hcl.Expression) {
	elems, diags := hcl.ExprList(expr)
	for i := range s.roots {
		rng := expr.Range()
		if !diags.HasErrors() && len(elems) == len(s.roots) {
			rng = elems[i].Range()
		}
		s.roots[i].rng = &rng
	}
}

func isNull(expr hcl.Expression, dc provider.DecodeContext) bool {
	v, diags := expr.Value(dc.Eval)
	return !diags.HasErrors() && v.IsNull()
}

func checkPaths(paths []string, rng hcl.Range, dir string) hcl.Diagnostics {
	bad := func(detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid paths", Detail: detail, Subject: rng.Ptr()}}
	}
	if len(paths) == 0 {
		return bad("paths must list at least one file or directory.")
	}
	seen := map[string]string{}
	for _, p := range paths {
		if strings.TrimSpace(p) == "" {
			return bad("paths must not contain an empty string.")
		}
		abs := resolve(dir, p)
		name := filepath.Base(abs)
		if abs == string(filepath.Separator) {
			return bad("cannot back up / itself: each path becomes a top-level entry named by its base name; list the directories under / instead.")
		}
		if other, dup := seen[name]; dup {
			return bad(fmt.Sprintf("%q and %q have the same base name %q; each path becomes a top-level entry named by its base name, so they would collide.", other, p, name))
		}
		seen[name] = p
	}
	return nil
}

func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

func (s *Source) identity() string {
	abs := make([]string, len(s.roots))
	for i, r := range s.roots {
		abs[i] = r.abs
	}
	return strings.Join(abs, ", ")
}

var _ provider.LocalTree = (*Source)(nil)

// Contains implements provider.LocalTree.
func (s *Source) Contains(p string) (string, bool) {
	if !filepath.IsAbs(p) {
		return "", false
	}
	for _, r := range s.roots {
		rel, err := filepath.Rel(r.abs, filepath.Clean(p))
		if err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, "../") {
			return r.name + "/" + filepath.ToSlash(rel), true
		}
	}
	return "", false
}
