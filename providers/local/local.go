package local

import (
	"context"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/local"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/reposettings"
)

// TypeName is the target type name in configurations.
const TypeName = "local"

// Encryption settings.
const (
	EncryptionAES  = reposettings.EncryptionAES
	EncryptionNone = reposettings.EncryptionNone
)

// ErrKeyFile means the key file is empty.
var ErrKeyFile = provider.ErrEmptyKeyFile

// Type is the registry entry of `target "local"`.
func Type() provider.TargetType {
	return provider.TargetType{Name: TypeName, Decode: Decode}
}

type config struct {
	Path string   `hcl:"path"`
	Repo hcl.Body `hcl:",remain"` // passphrase, key_file, encryption, compression
}

// Target is a repository directory.
type Target struct {
	path string // absolute
	*reposettings.Settings
}

// New returns a target for dir with the given repository settings.
func New(dir string, opts provider.RepoOptions) *Target {
	return &Target{path: dir, Settings: reposettings.New(opts)}
}

// Decode decodes a `target "local"` body.
func Decode(body hcl.Body, dc provider.DecodeContext) (provider.Target, hcl.Diagnostics) {
	var cfg config
	diags := gohcl.DecodeBody(body, dc.Eval, &cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	if strings.TrimSpace(cfg.Path) == "" {
		diags = append(diags, provider.AttrDiag(body, "path", "Invalid path", "path must name the repository directory."))
	}
	settings, d := reposettings.Decode(cfg.Repo, dc, TypeName)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, diags
	}
	return &Target{path: reposettings.Resolve(dc.Dir, cfg.Path), Settings: settings}, diags
}

// Open implements provider.Target: it reads the key file, if any, and
// opens (creating the directory if needed) the storage.
func (t *Target) Open(ctx context.Context) (storage.Storage, error) {
	if err := t.Load(); err != nil {
		return nil, err
	}
	return local.New(t.path)
}

// Location implements provider.Target.
func (t *Target) Location() string { return t.path }
