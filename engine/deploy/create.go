package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/providers/files"
	"github.com/velinhq/velin/providers/provider"
)

// CreateVersion stores the artifacts (and, for KindSnapshot, the config
// paths) as a new version. label must not be empty; version is the
// version string (KindVersion) and is generated for a snapshot. A version
// that is already stored is refused.
func (d *Deployer) CreateVersion(ctx context.Context, label, version, kind string) (Version, error) {
	if strings.TrimSpace(label) == "" {
		return Version{}, fmt.Errorf("create %s: %w", kind, ErrEmptyLabel)
	}
	if kind == KindSnapshot || kind == KindConfig {
		v, err := d.generatedID(ctx, kind)
		if err != nil {
			return Version{}, fmt.Errorf("create %s: %w", kind, err)
		}
		version = v
	} else if err := d.unused(ctx, version); err != nil {
		return Version{}, fmt.Errorf("create %s: %w", kind, err)
	}
	meta := map[string]string{keyVersion: version, keyLabel: label, keyKind: kind}
	if c := gitCommit(ctx, d.opts.PlanDir); c != "" {
		meta[keyGit] = c
	}
	if kind != KindConfig && d.cfg.Migrate != nil && d.currentExists() {
		if s, err := d.SchemaVersion(ctx); err == nil {
			meta[keySchema] = s
		}
	}
	return d.store(ctx, kind, meta)
}

// generatedID is a snapshot's id: its kind and the time to the second,
// with "-2", "-3"... when that id is taken (a begin, a rollback and a
// begin again within one second each store a config snapshot).
func (d *Deployer) generatedID(ctx context.Context, kind string) (string, error) {
	base := kind[:4] + "-" + d.opts.Clock().UTC().Format("20060102-150405")
	for n := 1; n <= 100; n++ {
		id := base
		if n > 1 {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		err := d.unused(ctx, id)
		if err == nil || !errors.Is(err, errTaken) {
			return id, err
		}
	}
	return "", fmt.Errorf("%s: 100 ids of this second are taken", base)
}

// errTaken: the version is already stored.
var errTaken = errors.New("is already stored: choose another version")

// unused checks that version is usable and not stored yet.
func (d *Deployer) unused(ctx context.Context, version string) error {
	if !validVersion(version) {
		return fmt.Errorf("%q is not a usable version", version)
	}
	if _, err := d.Find(ctx, version); err == nil {
		return fmt.Errorf("%s %w", version, errTaken)
	} else if !errors.Is(err, ErrUnknownVersion) {
		return err
	}
	return nil
}

// SnapshotConfig stores the config paths alone (kind "config") and returns
// the id RestoreConfig takes. With no config paths it stores nothing and
// returns "".
func (d *Deployer) SnapshotConfig(ctx context.Context) (string, error) {
	if len(d.cfg.Config) == 0 {
		return "", nil
	}
	v, err := d.CreateVersion(ctx, "config of "+d.cfg.Name, "", KindConfig)
	return v.Version, err
}

// store writes one repository snapshot for the version.
func (d *Deployer) store(ctx context.Context, kind string, meta map[string]string) (Version, error) {
	r, err := d.opts.Repo(ctx, true)
	if err != nil {
		return Version{}, err
	}
	lock, err := r.Lock(ctx, false)
	if err != nil {
		return Version{}, err
	}
	defer lock.Unlock(context.WithoutCancel(ctx))
	w, err := r.NewSnapshot(ctx, repo.SnapshotMeta{Backup: d.backupName(), Plan: d.opts.PlanDir, Strategy: kind})
	if err != nil {
		return Version{}, err
	}
	defer w.Abort()
	if kind != KindConfig {
		if err := d.storeTree(ctx, w, artifactsSource, d.cfg.Artifacts, meta, true); err != nil {
			return Version{}, err
		}
	}
	if kind != KindVersion {
		if err := d.storeTree(ctx, w, configSource, d.cfg.Config, meta, kind == KindConfig); err != nil {
			return Version{}, err
		}
	}
	if _, err := w.Flush(ctx); err != nil {
		return Version{}, fmt.Errorf("store %s: %w", meta[keyVersion], err)
	}
	m, err := w.Commit(ctx, nil)
	if err != nil {
		return Version{}, fmt.Errorf("store %s: %w", meta[keyVersion], err)
	}
	v, _ := d.versionOf(m)
	return v, nil
}

// storeTree writes paths as one files source; withMeta puts the version's
// details (and the content checksum) on it.
func (d *Deployer) storeTree(ctx context.Context, w *repo.SnapshotWriter, name string, paths []string, meta map[string]string, withMeta bool) error {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("store %s: %w", name, err)
		}
	}
	src, err := files.New(paths, nil, false, false)
	if err != nil {
		return fmt.Errorf("store %s: %w", name, err)
	}
	sw := w.Source(sourceType, name)
	sink := newSumSink(sw)
	facts, err := src.Backup(ctx, sink, provider.BackupOptions{})
	if err != nil {
		return fmt.Errorf("store %s: %w", name, err)
	}
	if withMeta {
		facts.Details = meta
		meta[keyChecksum] = sink.checksum()
		if m := sink.migrations(); len(m) > 0 {
			meta[keyMigrations] = strings.Join(m, "\n")
		}
	}
	if err := sw.Finish(ctx, facts); err != nil {
		return fmt.Errorf("store %s: %w", name, err)
	}
	return nil
}
