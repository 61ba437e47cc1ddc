package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/providers/provider"
	"golang.org/x/sync/errgroup"
)

// Manifest describes one snapshot. It is stored sealed at snapshots/<ID>
// and never contains secrets.
type Manifest struct {
	ID           string           `json:"id"`
	Time         time.Time        `json:"time"`
	Host         string           `json:"host"`
	MachineID    string           `json:"machine_id,omitempty"` // absent before velin 0.1.1
	VelinVersion string           `json:"velin_version"`
	Plan         string           `json:"plan"`
	Backup       string           `json:"backup"`
	Strategy     string           `json:"strategy"`
	Parent       string           `json:"parent,omitempty"`
	Sources      []SourceManifest `json:"sources"`
	Size         int64            `json:"size"`
	StoredBytes  int64            `json:"stored_bytes"`
	Verification *Verification    `json:"verification,omitempty"`
	Stats        *BackupStats     `json:"stats,omitempty"`    // absent in snapshots of velin before 0.1.1
	Repaired     *RepairNote      `json:"repaired,omitempty"` // set by `velin backup repair snapshots`
}

// BackupStats is what writing a snapshot did, compared with the previous
// snapshot of the same backup (its parent, or for a full backup the latest
// one): a file is new when its path was not there, unmodified when its
// content is identical, changed otherwise.
type BackupStats struct {
	FilesNew        int64 `json:"files_new"`
	FilesChanged    int64 `json:"files_changed"`
	FilesUnmodified int64 `json:"files_unmodified"`
	BytesRead       int64 `json:"bytes_read"`   // content read from the sources
	BytesAdded      int64 `json:"bytes_added"`  // plaintext of new blobs
	BytesStored     int64 `json:"bytes_stored"` // those blobs compressed and sealed
	DurationMS      int64 `json:"duration_ms"`  // from the start of the snapshot to its flush
}

// SourceManifest is one source's part of a snapshot.
type SourceManifest struct {
	Key           string `json:"key"` // "type.name"
	Type          string `json:"type"`
	Name          string `json:"name"`
	Identity      string `json:"identity"`
	ServerVersion string `json:"server_version,omitempty"`
	Files         int64  `json:"files"`
	Entries       int64  `json:"entries,omitempty"` // nodes in the tree, all kinds (absent in older manifests): bounds a walk
	Bytes         int64  `json:"bytes"`
	Rows          int64  `json:"rows,omitempty"`
	Tables        int64  `json:"tables,omitempty"`
	Root          string `json:"root"` // root tree id: a Merkle hash of the source
	StoredBytes   int64  `json:"stored_bytes"`
	Checksum      string `json:"checksum,omitempty"` // "sha256:<hex>" of the content of single-file sources

	// Skipped lists what the source left out on purpose (named pipes,
	// sockets, devices, a repository inside the tree).
	Skipped []provider.Problem `json:"skipped,omitempty"`
	// Incomplete lists entries stored as read or left out because they
	// changed or could not be read: the backup exited with code 3.
	Incomplete []provider.Problem `json:"incomplete,omitempty"`
	// Links maps a configured path that is a symlink to its target.
	Links map[string]string `json:"links,omitempty"`
	// Details are the source's own facts worth keeping (a database
	// source's dump client and version, databases dumped); never secrets.
	Details map[string]string `json:"details,omitempty"`
}

// Verification records what was checked before the snapshot was committed.
type Verification struct {
	Time        time.Time         `json:"time"`
	Checksums   string            `json:"checksums"`        // "ok", "failed: …", "" when not run
	TestRestore map[string]string `json:"test_restore"`     // source key → "ok: …" or "failed: …"
	Checks      []Check           `json:"checks,omitempty"` // the same, as data (absent before velin 0.1.1)
}

// Check is the outcome of one verification: the checksums of a snapshot,
// or the test restore of one source.
type Check struct {
	Kind       string      `json:"kind"`             // "checksums" or "test_restore"
	Source     string      `json:"source,omitempty"` // test_restore: the source key
	Status     string      `json:"status"`           // "ok" or "failed"
	Counts     CheckCounts `json:"counts"`
	DurationMS int64       `json:"duration_ms"`
	Error      string      `json:"error,omitempty"`
	// Results are the test restore's own checks: the count comparison
	// with this manifest, the source's checks (integrity) and each
	// assertion, passed or failed (absent in older manifests).
	Results []provider.CheckResult `json:"results,omitempty"`
	// Leftovers names what the source removed before this test restore:
	// scratch copies an interrupted earlier one left behind.
	Leftovers []string `json:"leftovers_removed,omitempty"`
}

// CheckCounts is what a check looked at.
type CheckCounts struct {
	Blobs   int64 `json:"blobs"`
	Files   int64 `json:"files"`
	Bytes   int64 `json:"bytes"`
	Rows    int64 `json:"rows"`
	Damaged int64 `json:"damaged"`
}

// DeploymentPrefix begins the backup name of a deployment's versions and
// snapshots ("deployment.api", engine/deploy): no backup block can have
// such a name (labels hold no dot).
const DeploymentPrefix = "deployment."

// IsDeployment says whether m is a deployment's version or snapshot, not
// a backup: `backup list` labels them, "latest" of a backup skips them.
func (m *Manifest) IsDeployment() bool { return strings.HasPrefix(m.Backup, DeploymentPrefix) }

// Source returns the source with the given key, or nil.
func (m *Manifest) Source(key string) *SourceManifest {
	for i := range m.Sources {
		if m.Sources[i].Key == key {
			return &m.Sources[i]
		}
	}
	return nil
}

const manifestAAD = "velin snapshot"

func snapshotName(id string) string { return "snapshots/" + id }

// snapshotIDs lists the ids of visible snapshots, and remembers them for
// recentSnapshotIDs.
func (r *Repository) snapshotIDs(ctx context.Context) ([]string, error) {
	r.mu.Lock()
	gen := r.snapGen
	r.mu.Unlock()
	start := r.opts.Clock()
	names, err := r.listNames(ctx, "snapshots/")
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(names))
	for _, n := range names {
		ids = append(ids, strings.TrimPrefix(n, "snapshots/"))
	}
	sort.Strings(ids)
	r.mu.Lock()
	if gen == r.snapGen {
		r.snapRecent, r.snapRecentAt = ids, start
	}
	r.mu.Unlock()
	return slices.Clone(ids), nil
}

// recentSnapshotIDs is snapshotIDs, or the ids its last listing found when
// no lock was taken and no snapshot written or forgotten by this
// Repository since that listing started (forgetRecentSnapshots), and it
// started less than recentListingAge ago: the plan's checks, the parent's
// choice and the new snapshot's id share one listing per command and
// lock, and a long-lived Repository still sees others' snapshots. Listings may lag anyway (docs/design.md, "Storage"); whatever
// must see every snapshot (prune, check, a listing shown to the user)
// calls snapshotIDs.
func (r *Repository) recentSnapshotIDs(ctx context.Context) ([]string, error) {
	r.mu.Lock()
	ids := r.snapRecent
	if age := r.opts.Clock().Sub(r.snapRecentAt); age < 0 || age > recentListingAge {
		ids = nil
	}
	r.mu.Unlock()
	if ids != nil {
		return slices.Clone(ids), nil
	}
	return r.snapshotIDs(ctx)
}

// recentListingAge bounds how old a listing recentSnapshotIDs reuses is.
const recentListingAge = time.Minute

// forgetRecentSnapshots makes the next recentSnapshotIDs list again: a
// lock was taken (what happened before it must be seen after it) or a
// snapshot was written or forgotten.
func (r *Repository) forgetRecentSnapshots() {
	r.mu.Lock()
	r.snapGen++
	r.snapRecent = nil
	r.mu.Unlock()
}

func (r *Repository) loadManifest(ctx context.Context, id string) (*Manifest, error) {
	r.mu.Lock()
	m, ok := r.manifests[id]
	r.mu.Unlock()
	if ok {
		return m, nil
	}
	plain, err := r.openSealed(ctx, snapshotName(id), manifestAAD+" "+id)
	if err != nil {
		err = fmt.Errorf("read %s: %w", snapshotName(id), err)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("snapshot %s: %w", id, ErrSnapshotNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", id, err)
	}
	m = &Manifest{}
	if err := json.Unmarshal(plain, m); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", id, err)
	}
	if m.ID != id {
		return nil, fmt.Errorf("snapshot %s: manifest names %q", id, m.ID)
	}
	r.mu.Lock()
	r.manifests[id] = m
	r.mu.Unlock()
	return m, nil
}

// Snapshots returns every visible snapshot, sorted by time, then id.
func (r *Repository) Snapshots(ctx context.Context) ([]*Manifest, error) {
	ids, err := r.snapshotIDs(ctx)
	if err != nil {
		return nil, err
	}
	return r.manifestsOf(ctx, ids)
}

// recentSnapshots is Snapshots from recentSnapshotIDs.
func (r *Repository) recentSnapshots(ctx context.Context) ([]*Manifest, error) {
	ids, err := r.recentSnapshotIDs(ctx)
	if err != nil {
		return nil, err
	}
	return r.manifestsOf(ctx, ids)
}

// manifestsOf loads the manifests of ids, leaving out those forgotten
// since, sorted by time, then id.
func (r *Repository) manifestsOf(ctx context.Context, ids []string) ([]*Manifest, error) {
	out, err := r.loadManifests(ctx, ids)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// loadManifests loads the manifests of ids, indexLoaders at a time (those
// not in memory nor in the local cache are one round trip each), leaving
// out those forgotten since the listing.
func (r *Repository) loadManifests(ctx context.Context, ids []string) ([]*Manifest, error) {
	out := make([]*Manifest, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(indexLoaders)
	for i, id := range ids {
		g.Go(func() error {
			m, err := r.loadManifest(gctx, id)
			if errors.Is(err, ErrSnapshotNotFound) {
				return nil // forgotten while we listed
			}
			out[i] = m
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(out, func(m *Manifest) bool { return m == nil }), nil
}

// Snapshot finds a snapshot by id or unique id prefix. No match is
// ErrSnapshotNotFound; several are ErrAmbiguousID listing them.
func (r *Repository) Snapshot(ctx context.Context, idOrPrefix string) (*Manifest, error) {
	if idOrPrefix == "" {
		return nil, fmt.Errorf("snapshot: empty id: %w", ErrSnapshotNotFound)
	}
	ids, err := r.snapshotIDs(ctx)
	if err != nil {
		return nil, err
	}
	var match []string
	for _, id := range ids {
		if id == idOrPrefix {
			return r.loadManifest(ctx, id)
		}
		if strings.HasPrefix(id, idOrPrefix) {
			match = append(match, id)
		}
	}
	switch len(match) {
	case 0:
		return nil, fmt.Errorf("snapshot %q: %w", idOrPrefix, ErrSnapshotNotFound)
	case 1:
		return r.loadManifest(ctx, match[0])
	}
	return nil, fmt.Errorf("snapshot %q matches %s: %w", idOrPrefix, strings.Join(match, ", "), ErrAmbiguousID)
}

// Forget removes the manifests of the given snapshots. Their data stays
// until Prune. The caller holds an exclusive lock. ids are exact (resolve a
// prefix with Snapshot first): when the snapshot meant is gone, another
// process having forgotten it, a prefix could name another snapshot
// ("…-full" of "…-full-2").
func (r *Repository) Forget(ctx context.Context, ids ...string) error {
	if err := r.lockOK(); err != nil {
		return fmt.Errorf("forget: %w", err)
	}
	defer r.forgetRecentSnapshots()
	ms := make([]*Manifest, 0, len(ids))
	for _, id := range ids {
		m, err := r.loadManifest(ctx, id)
		if err != nil {
			return fmt.Errorf("forget: %w", err)
		}
		ms = append(ms, m)
	}
	if len(ms) > 0 {
		if err := r.refuseHeld(ctx, ms); err != nil {
			return fmt.Errorf("forget: %w", err)
		}
	}
	for _, m := range ms {
		if err := r.st.Delete(ctx, snapshotName(m.ID)); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("forget %s: %w", m.ID, err)
		}
		r.mu.Lock()
		delete(r.manifests, m.ID)
		r.mu.Unlock()
		if r.cache != nil {
			r.cache.Delete(snapshotName(m.ID))
		}
	}
	return nil
}

// snapshotBase is the id stem "YYYYMMDD-HHMM-<strategy>".
func snapshotBase(t time.Time, strategy string) string {
	return t.UTC().Format("20060102-1504") + "-" + sanitizeStrategy(strategy)
}

func sanitizeStrategy(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return "snapshot"
	}
	return b.String()
}

// candidateID is the n-th candidate id for base: base, base-2, base-3…
func candidateID(base string, n int) string {
	if n <= 1 {
		return base
	}
	return fmt.Sprintf("%s-%d", base, n)
}

// freeID returns the first candidate id not taken, starting at n.
// The listing may be this command's recent one (recentSnapshotIDs), and
// listings may lag: an id not listed is stat'ed, unless the storage is
// known to honour IfAbsent, whose refusal of the manifest's write moves
// the writer to the next candidate (Commit).
func (r *Repository) freeID(ctx context.Context, base string, n int) (string, int, error) {
	ids, err := r.recentSnapshotIDs(ctx)
	if err != nil {
		return "", 0, err
	}
	taken := map[string]bool{}
	for _, id := range ids {
		taken[id] = true
	}
	for ; ; n++ {
		id := candidateID(base, n)
		if taken[id] {
			continue
		}
		if r.knownConditional() {
			return id, n, nil
		}
		if _, err := r.st.Stat(ctx, snapshotName(id)); errors.Is(err, storage.ErrNotFound) {
			return id, n, nil
		} else if err != nil {
			return "", 0, fmt.Errorf("stat %s: %w", id, err)
		}
	}
}
