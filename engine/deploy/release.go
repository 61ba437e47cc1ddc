package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/providers/files"
	"github.com/velinhq/velin/providers/provider"
)

// releaseMarker is written inside every release velin materialized, last
// before the rename: a release directory without it is not velin's.
const releaseMarker = ".velin-release.json"

const currentName = "current"

func (d *Deployer) releasesDir() string { return filepath.Join(d.cfg.Root, "releases") }

func (d *Deployer) releasePath(version string) string {
	return filepath.Join(d.releasesDir(), version)
}

// currentExists reports whether root/current exists (whatever it is).
func (d *Deployer) currentExists() bool {
	_, err := os.Lstat(filepath.Join(d.cfg.Root, currentName))
	return err == nil
}

// Current returns the release root/current points at; the zero Release
// when there is no current symlink yet. ErrNotOurs when current is not a
// symlink velin made (a directory, or a link elsewhere).
func (d *Deployer) Current(ctx context.Context) (Release, error) {
	link := filepath.Join(d.cfg.Root, currentName)
	fi, err := os.Lstat(link)
	if errors.Is(err, os.ErrNotExist) {
		return Release{}, nil
	}
	if err != nil {
		return Release{}, fmt.Errorf("deployment %s: %w", d.cfg.Name, err)
	}
	if fi.Mode()&os.ModeSymlink == 0 {
		return Release{}, d.notOurs(link, "it is not a symlink")
	}
	target, err := os.Readlink(link)
	if err != nil {
		return Release{}, fmt.Errorf("deployment %s: %w", d.cfg.Name, err)
	}
	version, ok := strings.CutPrefix(filepath.ToSlash(target), "releases/")
	if !ok || !validVersion(version) {
		return Release{}, d.notOurs(link, "it points at "+target+", not at releases/<version>")
	}
	if _, err := os.Stat(filepath.Join(d.releasePath(version), releaseMarker)); err != nil {
		return Release{}, d.notOurs(link, "releases/"+version+" has no "+releaseMarker)
	}
	return Release{Version: version, Path: d.releasePath(version)}, nil
}

func (d *Deployer) notOurs(link, why string) error {
	return fmt.Errorf("deployment %s: %w: %s (%s). Move it away, then deploy a version with `velin rollback to-version`", d.cfg.Name, ErrNotOurs, link, why)
}

// hasRelease reports whether a complete release of version is on disk.
func (d *Deployer) hasRelease(version string) bool {
	_, err := os.Stat(filepath.Join(d.releasePath(version), releaseMarker))
	return err == nil
}

// materialize puts version's release on disk unless it is there: restored
// from the repository into a temporary directory under releases/, made
// durable, marked, and renamed into place.
func (d *Deployer) materialize(ctx context.Context, v Version) error {
	if d.hasRelease(v.Version) {
		return nil
	}
	if v.Kind == KindConfig {
		return fmt.Errorf("deployment %s: %s is a config snapshot, not a release", d.cfg.Name, v.Version)
	}
	tmp, err := os.MkdirTemp(d.releasesDir(), ".tmp-"+v.Version+"-")
	if err != nil {
		return fmt.Errorf("materialize %s: %w", v.Version, err)
	}
	defer os.RemoveAll(tmp) // a no-op after the rename
	if err := d.restoreTree(ctx, v, artifactsSource, d.cfg.Artifacts, tmp); err != nil {
		return fmt.Errorf("materialize %s: %w", v.Version, err)
	}
	if err := writeJSON(tmp, releaseMarker, v); err != nil {
		return fmt.Errorf("materialize %s: %w", v.Version, err)
	}
	_ = os.Chmod(tmp, 0o755)
	dst := d.releasePath(v.Version)
	if err := os.RemoveAll(dst); err != nil { // an unmarked leftover, never a release
		return fmt.Errorf("materialize %s: %w", v.Version, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("materialize %s: %w", v.Version, err)
	}
	return syncDir(d.releasesDir())
}

// restoreTree restores one source of v's snapshot: into dir, or in place
// when dir is "".
func (d *Deployer) restoreTree(ctx context.Context, v Version, name string, paths []string, dir string) error {
	r, err := d.opts.Repo(ctx, false)
	if err != nil {
		return err
	}
	if r == nil {
		return fmt.Errorf("the repository of %s is missing", d.cfg.Target.Addr)
	}
	lock, err := r.Lock(ctx, false)
	if err != nil {
		return err
	}
	defer lock.Unlock(context.WithoutCancel(ctx))
	tree, err := r.Tree(ctx, v.manifest, repo.SourceKey(sourceType, name))
	if err != nil {
		return err
	}
	src, err := files.New(paths, nil, false, false)
	if err != nil {
		return err
	}
	return src.Restore(ctx, tree, provider.RestoreOptions{To: dir})
}

// RestoreConfig puts the config paths of a snapshot or config snapshot
// (id from SnapshotConfig or create-snapshot) back in place. Files the
// snapshot does not have are left alone. "" is a no-op.
func (d *Deployer) RestoreConfig(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	v, err := d.Find(ctx, id)
	if err != nil {
		return err
	}
	if v.Kind == KindVersion {
		return fmt.Errorf("restore config: %s is a version without config; take a snapshot", id)
	}
	unlock, err := d.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return d.restoreConfigOf(ctx, id)
}

// restoreConfigOf restores the config paths of snapshot id in place; the
// caller holds the lock.
func (d *Deployer) restoreConfigOf(ctx context.Context, id string) error {
	v, err := d.Find(ctx, id)
	if err != nil {
		return err
	}
	d.logf("restoring config from %s", id)
	if err := d.restoreTree(ctx, v, configSource, d.cfg.Config, ""); err != nil {
		return fmt.Errorf("restore config %s: %w", id, err)
	}
	return nil
}

// switchLink points root/current at version: a new symlink under a
// temporary name renamed over the old one, then the root synced.
func (d *Deployer) switchLink(version string) error {
	if !d.hasRelease(version) {
		return fmt.Errorf("switch to %s: the release is not on disk", version)
	}
	tmp := filepath.Join(d.cfg.Root, ".current.tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink("releases/"+version, tmp); err != nil {
		return fmt.Errorf("switch to %s: %w", version, err)
	}
	if err := os.Rename(tmp, filepath.Join(d.cfg.Root, currentName)); err != nil {
		return fmt.Errorf("switch to %s: %w", version, err)
	}
	return syncDir(d.cfg.Root)
}
