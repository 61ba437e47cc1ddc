package plan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/velinhq/velin/engine/repo"
)

// Latest returns the newest snapshot of backup made by this host (see
// repo.Repository.Mine) that contains sourceKey ("" = any), or nil when
// there is none. r may be nil (no repository yet).
func Latest(ctx context.Context, r *repo.Repository, backup, sourceKey string) (*repo.Manifest, error) {
	if r == nil {
		return nil, nil
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	for i := len(snaps) - 1; i >= 0; i-- {
		m := snaps[i]
		if m.Backup == backup && r.Mine(m) && (sourceKey == "" || HasSource(m, sourceKey)) {
			return m, nil
		}
	}
	return nil, nil
}

// HasSource reports whether m holds the source with the given key.
func HasSource(m *repo.Manifest, key string) bool {
	for _, s := range m.Sources {
		if s.Key == key {
			return true
		}
	}
	return false
}

// SourceKey turns "source.files.site" into the manifest key "files.site".
func SourceKey(addr string) string { return strings.TrimPrefix(addr, "source.") }

// Fingerprint identifies a repository's visible state: its snapshot ids.
// A missing repository is "none".
func Fingerprint(ctx context.Context, r *repo.Repository) (string, error) {
	if r == nil {
		return "none", nil
	}
	snaps, err := r.Snapshots(ctx)
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
