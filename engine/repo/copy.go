package repo

import (
	"context"
	"errors"
	"fmt"

	"github.com/velinhq/velin/engine/repo/crypto"
	"github.com/velinhq/velin/engine/storage"
)

// CopyStats says what Copy did.
type CopyStats struct {
	ID        string // the snapshot's id, the same in both repositories
	Present   bool   // the target had the snapshot already: nothing was sent
	Rechunked bool   // the repositories chunk differently: file contents were re-chunked
	Blobs     int64  // blobs sent
	Reused    int64  // references to blobs the target had (a blob named twice counts twice)
	Bytes     int64  // plaintext bytes of the blobs sent
	Stored    int64  // their stored (compressed, sealed) bytes in the target
}

// ErrCopyConflict means the target holds another snapshot under the id
// being copied.
var ErrCopyConflict = errors.New("the target holds a different snapshot with this id")

// Copy copies snapshot id (or a unique prefix) of src into dst, sending
// only the blobs dst lacks. Blobs are opened with src's key and sealed
// with dst's. The manifest keeps its id, time and host, and is written
// last, once every blob it references is durable and indexed in dst: a
// copy that fails or is killed leaves no snapshot in dst, only blobs that
// the next copy reuses (or prune reclaims). Copying a snapshot dst has is
// a no-op (Present). When the repositories chunk differently (different
// chunker keys or sizes) the files are read back and re-chunked into dst
// (Rechunked): their trees, and so the sources' roots, differ then.
// The caller holds a shared lock on each repository.
func Copy(ctx context.Context, src, dst *Repository, id string) (*CopyStats, error) {
	return copySnapshot(ctx, src, dst, id, copyBatch)
}

// copySnapshot is Copy collecting batch blob references at a time.
func copySnapshot(ctx context.Context, src, dst *Repository, id string, batch int) (*CopyStats, error) {
	m, err := src.Snapshot(ctx, id)
	if err != nil {
		return nil, err
	}
	st := &CopyStats{ID: m.ID, Rechunked: !src.sameChunking(dst)}
	if present, err := dst.hasCopy(ctx, m, st.Rechunked); err != nil || present {
		st.Present = present
		return st, err
	}
	var out *Manifest
	if st.Rechunked {
		out, err = rechunk(ctx, src, dst, m, st)
	} else {
		out, err = copyBlobs(ctx, src, dst, m, st, batch)
	}
	if err != nil {
		return nil, fmt.Errorf("copy %s to %s: %w", m.ID, dst.Location(), err)
	}
	if err := dst.commitCopy(ctx, out, st.Rechunked); err != nil {
		return nil, fmt.Errorf("copy %s to %s: %w", m.ID, dst.Location(), err)
	}
	return st, nil
}

// sameChunking tells whether r and o cut and name chunks alike.
func (r *Repository) sameChunking(o *Repository) bool {
	return r.cfg.Chunker == o.cfg.Chunker && crypto.SameChunking(r.key, o.key)
}

// hasCopy reports whether r holds snapshot m already: the same id with the
// same sources (the same roots unless rechunked). Another snapshot under
// that id is ErrCopyConflict.
func (r *Repository) hasCopy(ctx context.Context, m *Manifest, rechunked bool) (bool, error) {
	have, err := r.loadManifest(ctx, m.ID)
	if errors.Is(err, ErrSnapshotNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !sameSnapshot(have, m, rechunked) {
		return false, fmt.Errorf("copy %s to %s: %w (taken at %s on %s)", m.ID, r.Location(), ErrCopyConflict,
			have.Time.Format("2006-01-02 15:04"), have.Host)
	}
	return true, nil
}

func sameSnapshot(a, b *Manifest, rechunked bool) bool {
	if !a.Time.Equal(b.Time) || a.Host != b.Host || a.Backup != b.Backup || len(a.Sources) != len(b.Sources) {
		return false
	}
	for i := range a.Sources {
		if a.Sources[i].Key != b.Sources[i].Key || (!rechunked && a.Sources[i].Root != b.Sources[i].Root) {
			return false
		}
	}
	return true
}

// commitCopy writes m as a snapshot of r with its own id (IfAbsent). A
// concurrent copy of the same snapshot that won is fine.
func (r *Repository) commitCopy(ctx context.Context, m *Manifest, rechunked bool) error {
	if err := r.lockOK(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	err := r.putSealedJSON(ctx, snapshotName(m.ID), manifestAAD+" "+m.ID, m, true)
	if errors.Is(err, storage.ErrExists) {
		_, err = r.hasCopy(ctx, m, rechunked)
		return err
	}
	if err != nil {
		return fmt.Errorf("commit %s: %w", m.ID, err)
	}
	r.mu.Lock()
	r.manifests[m.ID] = m
	r.mu.Unlock()
	return nil
}
