package repo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/velinhq/velin/engine/repo/crypto"
	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/engine/storage"
)

// CopyStats says what Copy did.
type CopyStats struct {
	ID        string // the snapshot's id, the same in both repositories
	Present   bool   // the target had the snapshot already: nothing was sent
	Rechunked bool   // the repositories chunk differently: file contents were re-chunked
	Blobs     int64  // blobs sent
	Reused    int64  // blobs the snapshot references that the target had
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
		out, err = copyBlobs(ctx, src, dst, m, st)
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

// copyBlobs sends every blob m references that dst lacks, in src's pack
// order, and returns the manifest to commit (m itself: the ids match).
func copyBlobs(ctx context.Context, src, dst *Repository, m *Manifest, st *CopyStats) (*Manifest, error) {
	used := map[pack.ID]bool{}
	for _, s := range m.Sources {
		root, err := pack.ParseID(s.Root)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Key, err)
		}
		if err := src.markTree(ctx, src.newWalkGuard(m, &s), root, "", 0, used); err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Key, err)
		}
	}
	if err := dst.loadIndexes(ctx); err != nil { // blobs other processes added since Open
		return nil, err
	}
	need, err := src.missingIn(ctx, dst, used, st)
	if err != nil {
		return nil, err
	}
	var stored atomic.Int64 // counted by dst's workers
	p := newPipeline(dst)
	for len(need) > 0 {
		n := copyRun(need)
		if err := sendRun(ctx, src, p, need[:n], st, &stored); err != nil {
			p.abort()
			return nil, err
		}
		need = need[n:]
	}
	if err := p.close(); err != nil {
		return nil, err
	}
	st.Stored = stored.Load()
	return m, nil
}

// neededBlob is a blob to copy and where src has it.
type neededBlob struct {
	id  pack.ID
	loc index.Location
}

// missingIn lists the blobs of used that dst has not, sorted by their
// place in src (pack, offset) so that reads move forward through packs.
func (r *Repository) missingIn(ctx context.Context, dst *Repository, used map[pack.ID]bool, st *CopyStats) ([]neededBlob, error) {
	var need []neededBlob
	for id := range used {
		if dst.idx.Has(id) {
			st.Reused++
			continue
		}
		loc, err := r.lookup(ctx, id)
		if err != nil {
			return nil, err
		}
		need = append(need, neededBlob{id: id, loc: loc})
	}
	slices.SortFunc(need, func(a, b neededBlob) int {
		if c := slices.Compare(a.loc.Pack[:], b.loc.Pack[:]); c != 0 {
			return c
		}
		return int(a.loc.Offset) - int(b.loc.Offset)
	})
	return need, nil
}

// copyRun is how many of need's first blobs one range read fetches: those
// of one pack within runMax bytes, as long as at most a quarter of the
// span is other blobs (need is in pack order).
func copyRun(need []neededBlob) int {
	first := need[0].loc
	off, useful := int64(first.Offset), int64(0)
	n := 0
	for i, b := range need {
		end := int64(b.loc.Offset) + int64(b.loc.Length)
		if i > 0 && (b.loc.Pack != first.Pack || end-off > runMax) {
			break
		}
		useful += int64(b.loc.Length)
		if span := end - off; i == 0 || span-useful <= span/4 {
			n = i + 1
		}
	}
	return n
}

// sendRun reads run (blobs of one pack, in order) with one range read,
// opens each blob with src's key (authenticated, checked against its id)
// and queues it for dst's pipeline, which seals it with dst's key.
func sendRun(ctx context.Context, src *Repository, p *pipeline, run []neededBlob, st *CopyStats, stored *atomic.Int64) error {
	first, last := run[0].loc, run[len(run)-1].loc
	off := int64(first.Offset)
	data, err := getRange(ctx, src.st, packName(first.Pack), off, int64(last.Offset)+int64(last.Length)-off)
	if err != nil {
		return fmt.Errorf("blob %s in pack %s: %w", run[0].id, first.Pack, err)
	}
	for _, b := range run {
		at := int64(b.loc.Offset) - off
		plain, err := src.decodeBlob(data[at:at+int64(b.loc.Length)], b.loc.Kind, b.id, b.loc.Flags, b.loc.RawLen)
		if err != nil {
			return err
		}
		if !p.reserve(b.id) {
			continue
		}
		st.Blobs++
		st.Bytes += int64(len(plain))
		j := job{kind: b.loc.Kind, id: b.id, data: plain, stored: func(_, n int64) { stored.Add(n) }}
		if err := p.submit(ctx, j, false); err != nil {
			return err
		}
	}
	return nil
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
