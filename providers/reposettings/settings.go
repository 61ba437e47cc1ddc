package reposettings

import (
	"fmt"
	"math/big"
	"path/filepath"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/velinhq/velin/providers/provider"
)

// Encryption settings.
const (
	EncryptionAES  = "aes-256-gcm"
	EncryptionNone = "none"
)

type config struct {
	Passphrase  hcl.Expression `hcl:"passphrase,optional"`
	KeyFile     string         `hcl:"key_file,optional"`
	Encryption  string         `hcl:"encryption,optional"`
	Compression hcl.Expression `hcl:"compression,optional"`
}

// Settings are a target's decoded repository settings. With key_file, the
// passphrase is read once, by Load, when the target is opened.
type Settings struct {
	opts   provider.RepoOptions
	secret func(string)

	mu         sync.Mutex
	passphrase string // from key_file, once loaded
}

// New returns settings made in code (not decoded).
func New(opts provider.RepoOptions) *Settings { return &Settings{opts: opts} }

// Decode decodes the settings arguments of body, the rest of a `target
// "<kind>"` block once the target's own arguments are taken out; relative
// key_file paths are resolved against dc.Dir.
func Decode(body hcl.Body, dc provider.DecodeContext, kind string) (*Settings, hcl.Diagnostics) {
	var cfg config
	diags := gohcl.DecodeBody(body, dc.Eval, &cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	pass, d := passphrase(cfg.Passphrase, dc)
	diags = append(diags, d...)
	s := &Settings{secret: dc.Secret, opts: provider.RepoOptions{Passphrase: pass, Encryption: cfg.Encryption}}
	if cfg.KeyFile != "" {
		s.opts.KeyFile = Resolve(dc.Dir, cfg.KeyFile)
	}
	comp, d := compression(cfg.Compression, dc)
	diags = append(diags, d...)
	s.opts.Compression = comp
	if !diags.HasErrors() { // a failed passphrase expression is no reason to also say "no passphrase"
		diags = append(diags, checkEncryption(body, kind, &s.opts)...)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return s, diags
}

// Resolve makes a relative path absolute against dir.
func Resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// Load reads the key file, if any, and registers its passphrase as a
// secret. Targets call it from Open.
func (s *Settings) Load() error {
	if s.opts.KeyFile == "" {
		return nil
	}
	pass, err := provider.ReadPassphraseFile(s.opts.KeyFile)
	if err != nil {
		return err
	}
	if s.secret != nil {
		s.secret(pass)
	}
	s.mu.Lock()
	s.passphrase = pass
	s.mu.Unlock()
	return nil
}

// Repo returns the settings; with key_file, Passphrase is filled once Load
// has read the file.
func (s *Settings) Repo() provider.RepoOptions {
	o := s.opts
	s.mu.Lock()
	if s.passphrase != "" {
		o.Passphrase = s.passphrase
	}
	s.mu.Unlock()
	return o
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

func checkEncryption(body hcl.Body, kind string, o *provider.RepoOptions) hcl.Diagnostics {
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
			"This "+kind+" target has no passphrase: set passphrase (e.g. passphrase = env(\"VELIN_PASSPHRASE\")), key_file, or encryption = \"none\". An environment variable that is unset or empty gives no passphrase.")}
	}
	return nil
}
