package plan

import (
	"context"

	"github.com/velinhq/velin/engine/repo"
)

// A plan can be made before its repositories exist (r == nil): such a
// repository has no snapshots, and its fingerprint is "none".

func fingerprint(ctx context.Context, r *repo.Repository) (string, error) {
	if r == nil {
		return "none", nil
	}
	return r.Fingerprint(ctx)
}

func latest(ctx context.Context, r *repo.Repository, backup, sourceKey string) (*repo.Manifest, error) {
	if r == nil {
		return nil, nil
	}
	return r.Latest(ctx, backup, sourceKey)
}
