package bucket

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	s3storage "github.com/velinhq/velin/engine/storage/s3"
	"github.com/velinhq/velin/providers/provider"
)

// TypeName is the source type name in configurations.
const TypeName = "s3"

// Restore modes.
const (
	ModeReplace = "replace" // empty each restored bucket first
	ModeMerge   = "merge"   // write the snapshot's objects, delete nothing
)

// Type is the registry entry of `source "s3"`.
func Type() provider.SourceType {
	return provider.SourceType{Name: TypeName, Decode: Decode,
		Recover: func(id string) (provider.Source, error) { return Recover(id) }}
}

type config struct {
	Endpoint  string   `hcl:"endpoint,optional"`
	Region    string   `hcl:"region,optional"`
	PathStyle *bool    `hcl:"path_style,optional"`
	Buckets   []string `hcl:"buckets"`
	Exclude   []string `hcl:"exclude,optional"`
	AccessKey string   `hcl:"access_key,optional"`
	SecretKey string   `hcl:"secret_key,optional"`
	Profile   string   `hcl:"profile,optional"`
	Mode      string   `hcl:"mode,optional"`
}

// Options configure New. AccessKey and SecretKey are secrets.
type Options struct {
	Endpoint, Region     string
	PathStyle            bool
	AccessKey, SecretKey string
	Profile              string
	Buckets              []string // bucket names, or ["*"] for every bucket
	Exclude              []string // bucket names, or "BUCKET/PREFIX/**" globs
	Mode                 string   // ModeReplace (default) or ModeMerge
}

// Source backs up and restores the objects of S3 buckets. It is safe for
// concurrent use.
type Source struct {
	opts     Options
	client   *awss3.Client
	identity string
	workers  int
	noTags   atomic.Bool // the server answered that it has no object tags
}

// New returns a source for opts. It sends no request.
func New(ctx context.Context, o Options) (*Source, error) {
	if o.Mode == "" {
		o.Mode = ModeReplace
	}
	client, err := s3storage.NewClient(ctx, s3storage.Options{Endpoint: o.Endpoint, Region: o.Region,
		PathStyle: o.PathStyle, AccessKey: o.AccessKey, SecretKey: o.SecretKey, Profile: o.Profile})
	if err != nil {
		return nil, fmt.Errorf("s3 source: %w", err)
	}
	return &Source{opts: o, client: client, identity: identity(o), workers: 4}, nil
}

// identity names what is backed up, without secrets:
// "s3:templates,userdata at http://127.0.0.1:9000".
func identity(o Options) string {
	id := "s3:" + strings.Join(o.Buckets, ",")
	if o.Endpoint != "" {
		return id + " at " + s3storage.RedactURL(o.Endpoint)
	}
	region := o.Region
	if region == "" {
		region = s3storage.DefaultRegion
	}
	return id + " in " + region
}

// Decode decodes a `source "s3"` body.
func Decode(body hcl.Body, dc provider.DecodeContext) (provider.Source, hcl.Diagnostics) {
	var cfg config
	diags := gohcl.DecodeBody(body, dc.Eval, &cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	for _, s := range []string{cfg.AccessKey, cfg.SecretKey} {
		if s != "" && dc.Secret != nil {
			dc.Secret(s)
		}
	}
	diags = append(diags, check(body, cfg)...)
	if diags.HasErrors() {
		return nil, diags
	}
	o := Options{Endpoint: cfg.Endpoint, Region: cfg.Region, AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey,
		Profile: cfg.Profile, Buckets: cfg.Buckets, Exclude: cfg.Exclude, Mode: cfg.Mode,
		PathStyle: s3storage.DefaultPathStyle(cfg.Endpoint)}
	if cfg.PathStyle != nil {
		o.PathStyle = *cfg.PathStyle
	}
	s, err := New(context.Background(), o)
	if err != nil {
		return nil, append(diags, provider.AttrDiag(body, "endpoint", "Invalid s3 source", err.Error()))
	}
	return s, diags
}

// check makes the checks of user input that gohcl does not.
func check(body hcl.Body, cfg config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	bad := func(arg, summary, detail string) {
		diags = append(diags, provider.AttrDiag(body, arg, summary, detail))
	}
	if len(cfg.Buckets) == 0 {
		bad("buckets", "No buckets", `buckets must name at least one bucket, or be ["*"] for every bucket the credentials can list.`)
	}
	for _, b := range cfg.Buckets {
		if b == "" || strings.Contains(b, "/") || (b == "*" && len(cfg.Buckets) > 1) {
			bad("buckets", "Invalid bucket", fmt.Sprintf(`%q is not a bucket name; list bucket names (without "/"), or give ["*"] alone.`, b))
		}
	}
	for _, g := range cfg.Exclude {
		if !validGlob(g) {
			bad("exclude", "Invalid exclude pattern", fmt.Sprintf(`%q is not a valid glob; give a bucket name ("artifacts", "demo-*") or "BUCKET/PREFIX/**".`, g))
		}
	}
	if (cfg.AccessKey == "") != (cfg.SecretKey == "") {
		bad("access_key", "Incomplete credentials", "give both access_key and secret_key, or omit both to use the SDK's default credentials (environment, shared profile, instance role). An environment variable that is unset gives an empty value.")
	}
	if cfg.Mode != "" && cfg.Mode != ModeReplace && cfg.Mode != ModeMerge {
		bad("mode", "Invalid mode", fmt.Sprintf(`mode %q is neither "replace" (empty each restored bucket first, the default) nor "merge" (delete nothing).`, cfg.Mode))
	}
	if err := s3storage.CheckEndpoint(cfg.Endpoint); err != nil {
		bad("endpoint", "Invalid endpoint", err.Error()+`; give a URL such as "https://s3.eu-central-1.amazonaws.com" or "http://127.0.0.1:9000".`)
	}
	return diags
}

// CanFilter implements provider.Filterable: a restore honours --include.
func (s *Source) CanFilter() bool { return true }
