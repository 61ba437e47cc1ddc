package plan

import (
	"context"
	"errors"
	"fmt"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/restore"
	"github.com/velinhq/velin/providers/provider"
)

// ErrNoSnapshot means a restore found no snapshot to restore from.
var ErrNoSnapshot = errors.New("no snapshot to restore from")

// ResolveSnapshot finds a snapshot by id or unique prefix; "latest" (or "")
// is the newest snapshot of backup ("" = of any backup; a deployment's
// versions are not backups and never "latest").
func ResolveSnapshot(ctx context.Context, r *repo.Repository, id, backup string) (*repo.Manifest, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: the repository does not exist yet", ErrNoSnapshot)
	}
	if id != "" && id != "latest" {
		return r.Snapshot(ctx, id)
	}
	m, err := r.Latest(ctx, backup, "")
	if err != nil {
		return nil, err
	}
	if m == nil && backup == "" {
		snaps, err := r.Snapshots(ctx)
		if err != nil {
			return nil, err
		}
		for i := len(snaps) - 1; i >= 0 && m == nil; i-- {
			if !snaps[i].IsDeployment() {
				m = snaps[i]
			}
		}
	}
	if m == nil {
		return nil, fmt.Errorf("%w: %s has no snapshot of backup %q yet", ErrNoSnapshot, r.Location(), backup)
	}
	return m, nil
}

// RestoreTarget is what a restore block restores: its repository, snapshot
// and options. It is shared by plan and apply.
type RestoreTarget struct {
	Block    *config.Restore
	Backup   *config.Backup
	Repo     *repo.Repository
	Snapshot *repo.Manifest
	Options  provider.RestoreOptions
}

// ResolveRestore opens the repository of restore block rs and picks its
// snapshot (id "" = latest of the restore's backup).
func ResolveRestore(ctx context.Context, rep func(ctx context.Context, target string) (*repo.Repository, error), cfg *config.Config, rs *config.Restore, id string) (*RestoreTarget, error) {
	b, ok := cfg.Backups[rs.From.Addr]
	if !ok {
		return nil, fmt.Errorf("restore %s: unknown backup %s", rs.Name, rs.From.Addr)
	}
	r, err := rep(ctx, b.Target.Addr)
	if err != nil {
		return nil, err
	}
	m, err := ResolveSnapshot(ctx, r, id, b.Name)
	if err != nil {
		return nil, fmt.Errorf("restore %s: %w", rs.Name, err)
	}
	return &RestoreTarget{Block: rs, Backup: b, Repo: r, Snapshot: m,
		Options: provider.RestoreOptions{To: rs.To, Include: rs.Include, Flush: rs.Flush, Globals: rs.Globals, Buckets: rs.Buckets, ToBucket: rs.ToBucket}}, nil
}

func (m *maker) restore(ctx context.Context, a *Action) (*Action, error) {
	rs := m.ws.Config.Restores[a.Owner]
	rt, err := ResolveRestore(ctx, func(ctx context.Context, t string) (*repo.Repository, error) {
		return m.repoFor(ctx, t)
	}, m.ws.Config, rs, m.opts.Snapshot)
	a.Marker = "~"
	a.Summary = "restore " + a.Addr
	if err != nil {
		m.fail(a, err)
		return a, nil
	}
	m.p.Snapshot = rt.Snapshot.ID
	a.Parent = rt.Snapshot.ID
	a.Summary = fmt.Sprintf("restore %s from snapshot %s", a.Addr, rt.Snapshot.ID)
	src := m.ws.Config.Sources[a.Addr]
	key := repo.SourceKey(src.Type, src.Name)
	rp, err := restore.Prepare(ctx, restore.Request{Repo: rt.Repo, Snapshot: rt.Snapshot, Named: true,
		Sources: []restore.Source{{Key: key, Impl: src.Impl}},
		To:      rt.Options.To, Include: rt.Options.Include, Flush: rt.Options.Flush, Globals: rt.Options.Globals,
		Buckets: rt.Options.Buckets, ToBucket: rt.Options.ToBucket})
	if err != nil {
		m.fail(a, err)
		return a, nil
	}
	sp := rp.Sources[0]
	if sp.Error != "" || sp.Skipped != "" {
		a.Error = sp.Error + sp.Skipped
		return a, nil
	}
	a.Details = append(a.Details, sp.Counts())
	for _, c := range sp.Changes {
		if !c.Part && (c.Action == "create" || c.Action == "unchanged") {
			continue
		}
		a.Changes = append(a.Changes, provider.Change{Action: c.Action, What: c.What,
			Snapshot: c.Snapshot, Current: c.Current, Detail: c.Detail, Part: c.Part})
	}
	if sp.Drop > 0 || sp.Delete > 0 {
		a.Marker = "-"
	}
	m.p.Summary.Overwrite += sp.Replace + sp.Drop + sp.Delete
	m.p.Summary.Restores++
	return a, nil
}
