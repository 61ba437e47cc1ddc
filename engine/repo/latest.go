package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// SourceKey is the key a source's manifest is stored under: "<type>.<name>"
// (the configuration address without its "source." prefix).
func SourceKey(typ, name string) string { return typ + "." + name }

// Latest returns the newest snapshot of backup made by this host (see
// Mine) that holds the source sourceKey ("" = any), or nil when there is
// none.
func (r *Repository) Latest(ctx context.Context, backup, sourceKey string) (*Manifest, error) {
	snaps, err := r.recentSnapshots(ctx)
	if err != nil {
		return nil, err
	}
	for i := len(snaps) - 1; i >= 0; i-- {
		m := snaps[i]
		if m.Backup == backup && r.Mine(m) && (sourceKey == "" || m.Source(sourceKey) != nil) {
			return m, nil
		}
	}
	return nil, nil
}

// Fingerprint identifies the repository's visible state: a hash of its
// snapshot ids. A saved plan records it to notice snapshots added or
// removed since.
func (r *Repository) Fingerprint(ctx context.Context) (string, error) {
	snaps, err := r.recentSnapshots(ctx)
	if err != nil {
		return "", fmt.Errorf("fingerprint %s: %w", r.Location(), err)
	}
	h := sha256.New()
	for _, m := range snaps {
		h.Write([]byte(m.ID))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
