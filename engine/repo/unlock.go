package repo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/velinhq/velin/engine/storage"
)

// LockState describes one lock object for `velin backup unlock`.
type LockState struct {
	Name      string    `json:"name"` // the object's name, "locks/…"
	Host      string    `json:"host"`
	PID       int       `json:"pid"`
	Exclusive bool      `json:"exclusive"`
	Created   time.Time `json:"created"`
	Refreshed time.Time `json:"refreshed"`
	// Stale says why the lock protects nothing ("" when it is live): its
	// process is gone, it was not refreshed for long, or it is malformed.
	Stale string `json:"stale"`
}

// Locks lists the repository's locks and whether each is stale. It takes
// no lock itself.
func (r *Repository) Locks(ctx context.Context) ([]LockState, error) {
	names, err := r.listNames(ctx, "locks/")
	if err != nil {
		return nil, err
	}
	out := make([]LockState, 0, len(names))
	for _, name := range names {
		info, err := r.readLock(ctx, name)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			continue // released meanwhile
		case errors.Is(err, errMalformedLock):
			out = append(out, LockState{Name: name, Stale: "malformed: " + errMalformedLock.Error()})
			continue
		case err != nil:
			return nil, err
		}
		out = append(out, LockState{Name: name, Host: info.Host, PID: info.PID, Exclusive: info.Exclusive,
			Created: info.Created, Refreshed: info.Refreshed, Stale: r.stale(info, time.Time{}, time.Time{})})
	}
	return out, nil
}

// RemoveLocks deletes the named lock objects (already gone is fine).
// Removing a live lock lets another operation run beside the one that
// holds it: callers ask first.
func (r *Repository) RemoveLocks(ctx context.Context, locks []LockState) error {
	for _, l := range locks {
		if err := r.st.Delete(ctx, l.Name); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("remove lock %s: %w", shortName(l.Name), err)
		}
	}
	return nil
}
