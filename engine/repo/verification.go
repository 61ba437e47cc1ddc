package repo

import (
	"context"
	"fmt"
)

// RecordVerification replaces the verification record of snapshot id with
// v (a later `backup verify --test-restore`) and returns the new manifest.
// Everything else in the manifest stays as it was: its id, sources and
// data. The caller holds a lock (shared is enough: forget and repair,
// which delete or replace manifests, take an exclusive one). The manifest
// is written whole, replacing the old one atomically (storage.Put).
func (r *Repository) RecordVerification(ctx context.Context, id string, v *Verification) (*Manifest, error) {
	if err := r.lockOK(); err != nil {
		return nil, fmt.Errorf("record verification: %w", err)
	}
	old, err := r.loadManifest(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("record verification: %w", err)
	}
	m := *old
	m.Verification = v
	if err := r.putSealedJSON(ctx, snapshotName(id), manifestAAD+" "+id, &m, false); err != nil {
		return nil, fmt.Errorf("record verification %s: %w", id, err)
	}
	r.mu.Lock()
	r.manifests[id] = &m
	r.mu.Unlock()
	return &m, nil
}
