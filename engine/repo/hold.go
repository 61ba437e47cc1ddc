package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/velinhq/velin/engine/storage"
)

// ErrHeld means a snapshot to forget is held (see Hold).
var ErrHeld = errors.New("held")

const holdAAD = "velin hold"

// Hold keeps a snapshot from being forgotten while something outside the
// repository depends on it: a deployment transaction's database snapshot
// from `velin rollback begin` until the transaction commits or rolls
// back. A hold is the sealed object holds/<name>, name derived from
// Owner and Snapshot, so putting or deleting the same hold twice is
// harmless. Holds carry no secrets.
type Hold struct {
	Snapshot   string    `json:"snapshot"`
	Owner      string    `json:"owner"` // e.g. "transaction 20261202T190512Z-1a2b3c4d"
	Deployment string    `json:"deployment,omitempty"`
	Host       string    `json:"host,omitempty"`
	Time       time.Time `json:"time"`
}

// Name is the hold's object name: holds/ and SHA-256 of owner and
// snapshot in hex.
func (h Hold) Name() string {
	sum := sha256.Sum256([]byte(h.Owner + "\x00" + h.Snapshot))
	return "holds/" + hex.EncodeToString(sum[:])
}

func (h Hold) String() string {
	s := h.Owner
	if h.Deployment != "" {
		s += " of deployment " + h.Deployment
	}
	if h.Host != "" {
		s += " on " + h.Host
	}
	return s
}

// PutHold writes h; it needs no lock (a hold only ever prevents a
// deletion). Idempotent.
func (r *Repository) PutHold(ctx context.Context, h Hold) error {
	if h.Snapshot == "" || h.Owner == "" {
		return errors.New("hold: a snapshot and an owner are required")
	}
	if err := r.putSealedJSON(ctx, h.Name(), holdAAD, h, false); err != nil {
		return fmt.Errorf("hold %s: %w", h.Snapshot, err)
	}
	return nil
}

// DeleteHold removes h; a hold already gone is no error.
func (r *Repository) DeleteHold(ctx context.Context, h Hold) error {
	if err := r.st.Delete(ctx, h.Name()); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("release hold on %s: %w", h.Snapshot, err)
	}
	return nil
}

// Holds lists the holds, by snapshot id. A hold that cannot be read is an
// error: deciding to forget without knowing what is held is not safe.
func (r *Repository) Holds(ctx context.Context) (map[string][]Hold, error) {
	names, err := r.listNames(ctx, "holds/")
	if err != nil {
		return nil, err
	}
	out := map[string][]Hold{}
	for _, name := range names {
		plain, err := r.getSealed(ctx, name, holdAAD)
		if errors.Is(err, storage.ErrNotFound) {
			continue // released meanwhile; the listing lagged
		}
		var h Hold
		if err == nil {
			err = json.Unmarshal(plain, &h)
		}
		if err != nil {
			return nil, fmt.Errorf("holds: %w", err)
		}
		out[h.Snapshot] = append(out[h.Snapshot], h)
	}
	return out, nil
}

// refuseHeld is ErrHeld when one of ms is held.
func (r *Repository) refuseHeld(ctx context.Context, ms []*Manifest) error {
	held, err := r.Holds(ctx)
	if err != nil || len(held) == 0 {
		return err
	}
	for _, m := range ms {
		if hs := held[m.ID]; len(hs) > 0 {
			return fmt.Errorf("snapshot %s is %w by %s (released when it commits or rolls back)", m.ID, ErrHeld, hs[0])
		}
	}
	return nil
}
