package local

import (
	"context"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/local"
	"github.com/velinhq/velin/providers/provider"
)

// TypeName is the target type name in configurations.
const TypeName = "local"

// Encryption settings.
const (
	EncryptionAES  = "aes-256-gcm"
	EncryptionNone = "none"
)

// ErrKeyFile means the key file is empty.
var ErrKeyFile = provider.ErrEmptyKeyFile

// Type is the registry entry of `target "local"`.
func Type() provider.TargetType {
	return provider.TargetType{Name: TypeName, Decode: Decode}
}

type config struct {
	Path        string         `hcl:"path"`
	Passphrase  hcl.Expression `hcl:"passphrase,optional"`
	KeyFile     string         `hcl:"key_file,optional"`
	Encryption  string         `hcl:"encryption,optional"`
	Compression hcl.Expression `hcl:"compression,optional"`
}

// Target is a repository directory.
type Target struct {
	path   string // absolute
	opts   provider.RepoOptions
	secret func(string)

	mu         sync.Mutex
	passphrase string // from key_file, once opened
}

// New returns a target for dir with the given repository settings.
func New(dir string, opts provider.RepoOptions) *Target {
	return &Target{path: dir, opts: opts}
}

// Decode decodes a `target "local"` body.
func Decode(body hcl.Body, dc provider.DecodeContext) (provider.Target, hcl.Diagnostics) {
	var cfg config
	diags := gohcl.DecodeBody(body, dc.Eval, &cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	t := &Target{path: resolve(dc.Dir, cfg.Path), secret: dc.Secret}
	if strings.TrimSpace(cfg.Path) == "" {
		diags = append(diags, provider.AttrDiag(body, "path", "Invalid path", "path must name the repository directory."))
	}
	pass, d := passphrase(cfg.Passphrase, dc)
	diags = append(diags, d...)
	t.opts = provider.RepoOptions{Passphrase: pass, Encryption: cfg.Encryption}
	if cfg.KeyFile != "" {
		t.opts.KeyFile = resolve(dc.Dir, cfg.KeyFile)
	}
	comp, d := compression(cfg.Compression, dc)
	diags = append(diags, d...)
	t.opts.Compression = comp
	if !diags.HasErrors() { // a failed passphrase expression is no reason to also say "no passphrase"
		diags = append(diags, checkEncryption(body, &t.opts)...)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return t, diags
}

func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// passphrase evaluates the passphrase expression; null and "" are "none".
// Sensitive values may be marked; the marks are dropped here and the value
// registered as a secret instead.
func passphrase(expr hcl.Expression, dc provider.DecodeContext) (string, hcl.Diagnostics) {
	v, diags := expr.Value(dc.Eval)
	v, _ = v.UnmarkDeep()
	if diags.HasErrors() || v.IsNull() {
		return "", diags
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil || !s.IsKnown() {
		return "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid passphrase",
			Detail: "passphrase must be a string.", Subject: expr.Range().Ptr()}}
	}
	if s.AsString() != "" && dc.Secret != nil {
		dc.Secret(s.AsString())
	}
	if s.AsString() != "" && dc.Advise != nil && literal(expr) {
		rng := expr.Range()
		dc.Advise(&hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Passphrase written in the plan",
			Detail: fmt.Sprintf("The passphrase is written literally in %s (line %d): anyone who can read the plan can decrypt the repository. Read it from the environment instead: passphrase = env(\"VELIN_PASSPHRASE\"), or use key_file.",
				rng.Filename, rng.Start.Line)})
	}
	return s.AsString(), nil
}

// literal says whether expr is a constant written in the plan (no
// variable, no function call).
func literal(expr hcl.Expression) bool {
	_, diags := expr.Value(nil)
	return !diags.HasErrors()
}

// compression converts a level 1..22 or "none"; null means 0 (default).
func compression(expr hcl.Expression, dc provider.DecodeContext) (int, hcl.Diagnostics) {
	v, diags := expr.Value(dc.Eval)
	v, _ = v.UnmarkDeep()
	if diags.HasErrors() || v.IsNull() {
		return 0, diags
	}
	bad := hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid compression",
		Detail: "compression must be a zstd level from 1 to 22, or \"none\".", Subject: expr.Range().Ptr()}}
	if !v.IsKnown() {
		return 0, bad
	}
	if v.Type() == cty.String {
		if v.AsString() == "none" {
			return -1, nil
		}
		if n, err := convert.Convert(v, cty.Number); err == nil {
			v = n
		}
	}
	if v.Type() != cty.Number {
		return 0, bad
	}
	bf := v.AsBigFloat()
	if !bf.IsInt() || bf.Cmp(big.NewFloat(1)) < 0 || bf.Cmp(big.NewFloat(22)) > 0 {
		return 0, bad
	}
	n, _ := bf.Int64()
	return int(n), nil
}

func checkEncryption(body hcl.Body, o *provider.RepoOptions) hcl.Diagnostics {
	switch o.Encryption {
	case "":
		o.Encryption = EncryptionAES
	case EncryptionAES, EncryptionNone:
	default:
		return hcl.Diagnostics{provider.AttrDiag(body, "encryption", "Invalid encryption",
			fmt.Sprintf("%q is not a known encryption; use %q (the default) or %q.", o.Encryption, EncryptionAES, EncryptionNone))}
	}
	hasKey := o.Passphrase != "" || o.KeyFile != ""
	switch {
	case o.Passphrase != "" && o.KeyFile != "":
		return hcl.Diagnostics{provider.AttrDiag(body, "key_file", "Conflicting arguments", "Set either passphrase or key_file, not both.")}
	case o.Encryption == EncryptionNone && hasKey:
		return hcl.Diagnostics{provider.AttrDiag(body, "encryption", "Conflicting arguments",
			"encryption = \"none\" stores data unencrypted, so a passphrase or key_file would be ignored; remove one or the other.")}
	case o.Encryption == EncryptionAES && !hasKey:
		return hcl.Diagnostics{provider.AttrDiag(body, "passphrase", "No passphrase",
			"This local target has no passphrase: set passphrase (e.g. passphrase = env(\"VELIN_PASSPHRASE\")), key_file, or encryption = \"none\". An environment variable that is unset or empty gives no passphrase.")}
	}
	return nil
}

// Open implements provider.Target: it reads the key file, if any, and
// opens (creating the directory if needed) the storage.
func (t *Target) Open(ctx context.Context) (storage.Storage, error) {
	if t.opts.KeyFile != "" {
		if err := t.readKeyFile(); err != nil {
			return nil, err
		}
	}
	return local.New(t.path)
}

func (t *Target) readKeyFile() error {
	pass, err := provider.ReadPassphraseFile(t.opts.KeyFile)
	if err != nil {
		return err
	}
	if t.secret != nil {
		t.secret(pass)
	}
	t.mu.Lock()
	t.passphrase = pass
	t.mu.Unlock()
	return nil
}

// Repo implements provider.Target. With key_file, Passphrase is filled
// once Open has read the file.
func (t *Target) Repo() provider.RepoOptions {
	o := t.opts
	t.mu.Lock()
	if t.passphrase != "" {
		o.Passphrase = t.passphrase
	}
	t.mu.Unlock()
	return o
}

// Location implements provider.Target.
func (t *Target) Location() string { return t.path }
