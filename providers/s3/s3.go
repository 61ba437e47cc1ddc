package s3

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/velinhq/velin/engine/storage"
	s3storage "github.com/velinhq/velin/engine/storage/s3"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/reposettings"
)

// TypeName is the target type name in configurations.
const TypeName = "s3"

// Type is the registry entry of `target "s3"`.
func Type() provider.TargetType {
	return provider.TargetType{Name: TypeName, Decode: Decode}
}

type config struct {
	Endpoint  string         `hcl:"endpoint,optional"`
	Region    string         `hcl:"region,optional"`
	Bucket    string         `hcl:"bucket"`
	Prefix    string         `hcl:"prefix,optional"`
	PathStyle *bool          `hcl:"path_style,optional"`
	AccessKey hcl.Expression `hcl:"access_key,optional"`
	SecretKey hcl.Expression `hcl:"secret_key,optional"`
	Profile   string         `hcl:"profile,optional"`
	Repo      hcl.Body       `hcl:",remain"` // passphrase, key_file, encryption, compression
}

// Target is a repository in a bucket.
type Target struct {
	opts s3storage.Options
	*reposettings.Settings
}

// Decode decodes a `target "s3"` body.
func Decode(body hcl.Body, dc provider.DecodeContext) (provider.Target, hcl.Diagnostics) {
	var cfg config
	diags := gohcl.DecodeBody(body, dc.Eval, &cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	opts := s3storage.Options{Endpoint: cfg.Endpoint, Region: cfg.Region, Bucket: cfg.Bucket,
		Prefix: cfg.Prefix, Profile: cfg.Profile, PathStyle: pathStyle(cfg)}
	var d hcl.Diagnostics
	opts.AccessKey, d = secretArg(cfg.AccessKey, "access_key", dc)
	diags = append(diags, d...)
	opts.SecretKey, d = secretArg(cfg.SecretKey, "secret_key", dc)
	diags = append(diags, d...)
	if !diags.HasErrors() {
		diags = append(diags, checkOptions(body, opts)...)
	}
	settings, d := reposettings.Decode(cfg.Repo, dc, TypeName)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, diags
	}
	return &Target{opts: opts, Settings: settings}, diags
}

// pathStyle is path_style, by default s3storage.DefaultPathStyle.
func pathStyle(cfg config) bool {
	if cfg.PathStyle != nil {
		return *cfg.PathStyle
	}
	return s3storage.DefaultPathStyle(cfg.Endpoint)
}

// secretArg evaluates a credential: null and "" are "not set"; a value is
// registered as a secret so that it never reaches output.
func secretArg(expr hcl.Expression, name string, dc provider.DecodeContext) (string, hcl.Diagnostics) {
	v, diags := expr.Value(dc.Eval)
	v, _ = v.UnmarkDeep()
	if diags.HasErrors() || v.IsNull() {
		return "", diags
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil || !s.IsKnown() {
		return "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid " + name,
			Detail: name + " must be a string.", Subject: expr.Range().Ptr()}}
	}
	if s.AsString() != "" && dc.Secret != nil {
		dc.Secret(s.AsString())
	}
	return s.AsString(), nil
}

func checkOptions(body hcl.Body, o s3storage.Options) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if strings.TrimSpace(o.Bucket) == "" {
		diags = append(diags, provider.AttrDiag(body, "bucket", "Invalid bucket", "bucket must name the bucket that holds the repository."))
	}
	if (o.AccessKey == "") != (o.SecretKey == "") {
		missing := "secret_key"
		if o.AccessKey == "" {
			missing = "access_key"
		}
		diags = append(diags, provider.AttrDiag(body, missing, "Incomplete credentials",
			fmt.Sprintf("%s is empty or unset while the other key is set: give both access_key and secret_key, or omit both to use the SDK's default credentials (environment, shared profile, instance role). An environment variable that is unset gives an empty value.", missing)))
	}
	if err := s3storage.CheckPrefix(o.Prefix); err != nil {
		diags = append(diags, provider.AttrDiag(body, "prefix", "Invalid prefix",
			fmt.Sprintf("%v. Use segments of printable ASCII separated by \"/\", such as \"velin/prod\".", err)))
	}
	if o.Endpoint != "" {
		if u, err := url.Parse(o.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			diags = append(diags, provider.AttrDiag(body, "endpoint", "Invalid endpoint",
				"endpoint must be an http:// or https:// URL without credentials, such as \"https://s3.eu-central-1.amazonaws.com\" or \"http://127.0.0.1:9000\"."))
		}
	}
	return diags
}

// Open implements provider.Target: it reads the key file, if any, and
// checks that the bucket can be reached with the credentials.
func (t *Target) Open(ctx context.Context) (storage.Storage, error) {
	if err := t.Load(); err != nil {
		return nil, err
	}
	st, err := s3storage.New(ctx, t.opts)
	if err != nil {
		return nil, fmt.Errorf("open s3 target: %w", err)
	}
	if err := st.Check(ctx); err != nil {
		return nil, fmt.Errorf("open s3 target: %w", err)
	}
	return st, nil
}

// Location implements provider.Target (bucket, prefix and endpoint; never
// credentials).
func (t *Target) Location() string { return t.opts.Location() }

// Bucket returns another bucket at this target's endpoint, with its
// credentials, at the bucket's root (no prefix): where `velin backup
// restore --id` finds an export placed by hand. It checks that the
// bucket can be reached.
func (t *Target) Bucket(ctx context.Context, bucket string) (storage.Storage, error) {
	opts := t.opts
	opts.Bucket, opts.Prefix = bucket, ""
	st, err := s3storage.New(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", bucket, err)
	}
	if err := st.Check(ctx); err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", bucket, err)
	}
	return st, nil
}
