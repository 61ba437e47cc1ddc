package repo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/velinhq/velin/engine/storage"
)

// SnapshotMeta describes a snapshot about to be written.
type SnapshotMeta struct {
	Backup, Plan, Strategy string
	Parent                 *Manifest // nil for a full backup
	Previous               *Manifest // for a full backup, the snapshot its statistics compare with (may be nil)
	// Keep, for an import, is the manifest the snapshot keeps its id, time,
	// host, plan, backup, strategy and parent from; Commit then fails
	// (ErrSnapshotExists) when that id is taken instead of picking another.
	Keep *Manifest
}

// ErrSnapshotExists means an imported snapshot's id is already taken.
var ErrSnapshotExists = errors.New("snapshot id already exists")

// WriteProgress counts what a SnapshotWriter has done so far.
type WriteProgress struct {
	Files       int64 // file entries stored or reused
	BytesRead   int64 // content bytes read from sources
	BytesReused int64 // content bytes of files reused from the parent, not read
	BytesNew    int64 // plaintext bytes of new blobs
	BytesStored int64 // stored (compressed, sealed) bytes of new blobs
}

// SnapshotWriter writes one snapshot. Sources are added with Source; Flush
// makes all data durable; Commit makes the snapshot visible; Abort drops it.
type SnapshotWriter struct {
	r    *Repository
	meta SnapshotMeta
	p    *pipeline
	t    time.Time

	active sync.RWMutex // held shared by every Put/Finish, exclusively by Flush

	mu      sync.Mutex
	sources []*SourceWriter
	state   int // writerOpen, writerFlushed, writerDone
	pending *Manifest
	idBase  string // the id stem (idBase)
	idN     int

	files, read, newBytes, stored     atomic.Int64
	filesNew, filesChanged, filesSame atomic.Int64
	reused                            atomic.Int64
}

const (
	writerOpen = iota
	writerFlushed
	writerDone
)

var errWriterClosed = errors.New("snapshot writer is closed")

// NewSnapshot starts a snapshot. The caller holds a shared lock.
func (r *Repository) NewSnapshot(ctx context.Context, meta SnapshotMeta) (*SnapshotWriter, error) {
	if meta.Strategy == "" {
		meta.Strategy = "full"
		if meta.Parent != nil {
			meta.Strategy = "incremental"
		}
	}
	return &SnapshotWriter{r: r, meta: meta, p: newPipeline(r), t: r.opts.Clock().UTC()}, nil
}

// Progress returns the counters so far; safe from any goroutine.
func (w *SnapshotWriter) Progress() WriteProgress {
	return WriteProgress{Files: w.files.Load(), BytesRead: w.read.Load(), BytesReused: w.reused.Load(),
		BytesNew: w.newBytes.Load(), BytesStored: w.stored.Load()}
}

// Source returns the sink for one source (typ "files", name "site"). Call it
// once per source.
func (w *SnapshotWriter) Source(typ, name string) *SourceWriter {
	sw := newSourceWriter(w, typ, name)
	w.mu.Lock()
	w.sources = append(w.sources, sw)
	w.mu.Unlock()
	return sw
}

// begin marks a Put/Finish in progress; it fails once Flush started.
func (w *SnapshotWriter) begin() error {
	w.active.RLock()
	w.mu.Lock()
	open := w.state == writerOpen
	w.mu.Unlock()
	if !open {
		w.active.RUnlock()
		return errWriterClosed
	}
	return nil
}

func (w *SnapshotWriter) end() { w.active.RUnlock() }

// Flush waits for every Put, makes all packs and index files durable and
// returns the pending manifest (with its id) usable with Tree and Check
// before Commit. Every source must be Finished.
func (w *SnapshotWriter) Flush(ctx context.Context) (*Manifest, error) {
	w.active.Lock()
	defer w.active.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == writerFlushed {
		return w.pending, nil
	}
	if w.state != writerOpen {
		return nil, errWriterClosed
	}
	for _, sw := range w.sources {
		if !sw.finished() {
			w.p.abort()
			w.state = writerDone
			for _, sw := range w.sources {
				sw.drop()
			}
			return nil, fmt.Errorf("flush: source %s was not finished", sw.key)
		}
	}
	if err := w.p.close(); err != nil {
		w.state = writerDone
		return nil, fmt.Errorf("flush: %w", err)
	}
	if err := ctx.Err(); err != nil {
		w.state = writerDone
		return nil, err
	}
	m, err := w.manifest(ctx)
	if err != nil {
		w.state = writerDone
		return nil, err
	}
	w.state, w.pending = writerFlushed, m
	return m, nil
}

func (w *SnapshotWriter) manifest(ctx context.Context) (*Manifest, error) {
	if k := w.meta.Keep; k != nil {
		m := &Manifest{ID: k.ID, Time: k.Time, Host: k.Host, MachineID: k.MachineID, VelinVersion: k.VelinVersion,
			Plan: k.Plan, Backup: k.Backup, Strategy: k.Strategy, Parent: k.Parent, Stats: k.Stats}
		w.addSources(m)
		return m, nil
	}
	base, err := w.r.idBase(ctx, w.t, w.meta.Strategy)
	if err != nil {
		return nil, fmt.Errorf("flush: %w", err)
	}
	id, n, err := w.r.freeID(ctx, base, 1)
	if err != nil {
		return nil, fmt.Errorf("flush: %w", err)
	}
	w.idBase, w.idN = base, n
	m := &Manifest{ID: id, Time: w.t, Host: w.r.opts.Host, MachineID: w.r.opts.MachineID, VelinVersion: w.r.opts.Version,
		Plan: w.meta.Plan, Backup: w.meta.Backup, Strategy: w.meta.Strategy}
	if w.meta.Parent != nil {
		m.Parent = w.meta.Parent.ID
	}
	m.Stats = &BackupStats{FilesNew: w.filesNew.Load(), FilesChanged: w.filesChanged.Load(),
		FilesUnmodified: w.filesSame.Load(), BytesRead: w.read.Load(), BytesAdded: w.newBytes.Load(),
		BytesStored: w.stored.Load(), DurationMS: w.r.opts.Clock().Sub(w.t).Milliseconds()}
	w.addSources(m)
	return m, nil
}

func (w *SnapshotWriter) addSources(m *Manifest) {
	for _, sw := range w.sources {
		sw.result.StoredBytes = sw.stored.Load()
		m.Sources = append(m.Sources, sw.result)
		m.Size += sw.result.Bytes
		m.StoredBytes += sw.result.StoredBytes
	}
	// Sources finish in any order; the manifest lists them by key.
	slices.SortFunc(m.Sources, func(a, b SourceManifest) int { return strings.Compare(a.Key, b.Key) })
}

// Commit writes the manifest, with the verification results v (may be
// nil): the snapshot becomes visible. Flush is called first if needed.
// If a concurrent backup took the id meanwhile, the next free suffix is
// used; the returned manifest has the final id.
func (w *SnapshotWriter) Commit(ctx context.Context, v *Verification) (*Manifest, error) {
	if err := w.r.lockOK(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	if _, err := w.Flush(ctx); err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state != writerFlushed {
		return nil, errWriterClosed
	}
	m := *w.pending
	m.Verification = v
	n := w.idN
	for range 100 {
		err := w.r.putSealedJSON(ctx, snapshotName(m.ID), manifestAAD+" "+m.ID, &m, true)
		if err == nil {
			w.state = writerDone
			w.r.forgetRecentSnapshots()
			w.r.mu.Lock()
			w.r.manifests[m.ID] = &m
			w.r.mu.Unlock()
			return &m, nil
		}
		if !errors.Is(err, storage.ErrExists) {
			return nil, fmt.Errorf("commit %s: %w", m.ID, err)
		}
		if w.meta.Keep != nil {
			return nil, fmt.Errorf("commit %s: %w", m.ID, ErrSnapshotExists)
		}
		w.r.forgetRecentSnapshots()
		if m.ID, n, err = w.r.freeID(ctx, w.idBase, n+1); err != nil {
			return nil, fmt.Errorf("commit: %w", err)
		}
	}
	return nil, fmt.Errorf("commit: no free snapshot id")
}

// Abort discards the snapshot: nothing becomes visible. Packs already
// written are orphans that Prune reclaims.
func (w *SnapshotWriter) Abort() {
	w.p.fail(context.Canceled) // unblocks Puts waiting on the pipeline
	w.active.Lock()
	defer w.active.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == writerOpen {
		w.p.abort()
	}
	w.state = writerDone
	for _, sw := range w.sources {
		sw.drop()
	}
}
