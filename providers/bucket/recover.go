package bucket

import (
	"context"
	"fmt"
	"strings"

	s3storage "github.com/velinhq/velin/engine/storage/s3"
)

// Recover makes a source from a manifest's identity ("s3:a,b at
// ENDPOINT" or "s3:a,b in REGION", see identity), to restore a snapshot
// whose plan is gone. The identity holds no credentials: a restore with
// --to DIR needs none; one in place takes them from the SDK's default
// chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a shared profile,
// an instance role). Excludes do not matter to a restore (the snapshot
// holds what was kept); the mode is the default, "replace".
func Recover(id string) (*Source, error) {
	rest, ok := strings.CutPrefix(id, "s3:")
	if !ok {
		return nil, fmt.Errorf("recover s3 source: %q is not the identity of an s3 source", id)
	}
	o := Options{}
	if names, endpoint, ok := strings.Cut(rest, " at "); ok {
		rest, o.Endpoint = names, endpoint
		o.PathStyle = s3storage.DefaultPathStyle(endpoint)
	} else if names, region, ok := strings.Cut(rest, " in "); ok {
		rest, o.Region = names, region
	} else {
		return nil, fmt.Errorf("recover s3 source: %q names no endpoint or region", id)
	}
	o.Buckets = strings.Split(rest, ",")
	for _, b := range o.Buckets {
		if b == "" || strings.Contains(b, "/") {
			return nil, fmt.Errorf("recover s3 source: %q: %q is not a bucket name", id, b)
		}
	}
	if err := s3storage.CheckEndpoint(o.Endpoint); err != nil {
		return nil, fmt.Errorf("recover s3 source: %w", err)
	}
	return New(context.Background(), o)
}
