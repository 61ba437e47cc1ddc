package repo

import (
	"context"
	"fmt"
	"io"

	"github.com/velinhq/velin/providers/provider"
)

// rechunk copies m into dst when the two repositories chunk differently:
// each source's entries are read back from src and written into dst
// through a SnapshotWriter, as a backup would, so dst cuts, names and
// seals the contents its own way. It returns m with the new roots and
// stored sizes, to commit under m's id.
func rechunk(ctx context.Context, src, dst *Repository, m *Manifest, st *CopyStats) (*Manifest, error) {
	w, err := dst.NewSnapshot(ctx, SnapshotMeta{Backup: m.Backup, Plan: m.Plan, Strategy: m.Strategy})
	if err != nil {
		return nil, err
	}
	for _, s := range m.Sources {
		if err := rechunkSource(ctx, src, w, m, s); err != nil {
			w.Abort()
			return nil, err
		}
	}
	pending, err := w.Flush(ctx)
	if err != nil {
		w.Abort()
		return nil, err
	}
	w.Abort() // its manifest is not ours: commitCopy writes m's, and Flush made the blobs durable
	out := *m
	out.Sources = append([]SourceManifest(nil), m.Sources...)
	for i := range out.Sources {
		ns := pending.Source(out.Sources[i].Key)
		out.Sources[i].Root, out.Sources[i].StoredBytes, out.Sources[i].Entries = ns.Root, ns.StoredBytes, ns.Entries
	}
	p := w.Progress()
	st.Bytes, st.Stored = p.BytesNew, p.BytesStored
	return &out, nil
}

// rechunkSource writes source s of m (read from src) into w.
func rechunkSource(ctx context.Context, src *Repository, w *SnapshotWriter, m *Manifest, s SourceManifest) error {
	tr, err := src.Tree(ctx, m, s.Key)
	if err != nil {
		return err
	}
	sw := w.Source(s.Type, s.Name)
	err = tr.Walk(ctx, func(e provider.Entry) error {
		if e.Kind != provider.KindFile {
			return sw.Put(ctx, e, nil)
		}
		rc, err := tr.Open(ctx, e)
		if err != nil {
			return err
		}
		defer rc.Close()
		return sw.Put(ctx, e, io.Reader(rc))
	})
	if err != nil {
		return fmt.Errorf("re-chunk source %s: %w", s.Key, err)
	}
	facts := provider.Facts{Type: s.Type, Identity: s.Identity, ServerVersion: s.ServerVersion, Rows: s.Rows,
		Tables: s.Tables, Skipped: s.Skipped, Incomplete: s.Incomplete, Links: s.Links, Details: s.Details}
	return sw.Finish(ctx, facts)
}
