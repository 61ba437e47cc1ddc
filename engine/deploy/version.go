package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/velinhq/velin/engine/repo"
)

// Kinds of stored versions.
const (
	KindVersion  = "version"  // the artifacts
	KindSnapshot = "snapshot" // the artifacts and the config paths
	KindConfig   = "config"   // the config paths only (SnapshotConfig)
)

// Source names inside a version's repository snapshot.
const (
	artifactsSource = "artifacts"
	configSource    = "config"
	sourceType      = "files"
)

// Details keys of the artifacts source in the manifest.
const (
	keyVersion    = "version"
	keyLabel      = "label"
	keyKind       = "kind"
	keyChecksum   = "checksum"
	keyGit        = "git_commit"
	keySchema     = "schema_version"
	keyMigrations = "migrations"
)

// Version is a stored version, snapshot or config snapshot.
type Version struct {
	Version       string    `json:"version"` // the version, or a snapshot's generated id
	Label         string    `json:"label"`
	Kind          string    `json:"kind"`
	Time          time.Time `json:"time"`
	Checksum      string    `json:"checksum,omitempty"`       // sha256:<hex> of the artifacts' content
	GitCommit     string    `json:"git_commit,omitempty"`     // when the plan is in a git work tree
	SchemaVersion string    `json:"schema_version,omitempty"` // `migrate.current` when it was created
	Migrations    []string  `json:"migrations,omitempty"`     // migration files it ships
	Snapshot      string    `json:"snapshot"`                 // the repository snapshot id
	Bytes         int64     `json:"bytes"`
	StoredBytes   int64     `json:"stored_bytes"` // new data this version added to the repository

	manifest *repo.Manifest
}

// backupName is the manifests' backup name for this deployment.
func (d *Deployer) backupName() string { return repo.DeploymentPrefix + d.cfg.Name }

// Versions lists the stored versions, snapshots and config snapshots,
// newest first. A missing repository lists nothing.
func (d *Deployer) Versions(ctx context.Context) ([]Version, error) {
	r, err := d.opts.Repo(ctx, false)
	if err != nil || r == nil {
		return nil, err
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		return nil, fmt.Errorf("list versions: %w", err)
	}
	var out []Version
	for _, m := range snaps {
		if v, ok := d.versionOf(m); ok {
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	return out, nil
}

func (d *Deployer) versionOf(m *repo.Manifest) (Version, bool) {
	if m.Backup != d.backupName() {
		return Version{}, false
	}
	src := m.Source(repo.SourceKey(sourceType, artifactsSource))
	if src == nil {
		src = m.Source(repo.SourceKey(sourceType, configSource))
	}
	if src == nil || src.Details[keyVersion] == "" {
		return Version{}, false
	}
	det := src.Details
	v := Version{Version: det[keyVersion], Label: det[keyLabel], Kind: det[keyKind], Time: m.Time,
		Checksum: det[keyChecksum], GitCommit: det[keyGit], SchemaVersion: det[keySchema],
		Snapshot: m.ID, Bytes: m.Size, StoredBytes: m.StoredBytes, manifest: m}
	if det[keyMigrations] != "" {
		v.Migrations = strings.Split(det[keyMigrations], "\n")
	}
	return v, true
}

// Find returns the stored version (or snapshot) named id; the newest when
// several were stored under one name. ErrUnknownVersion when none.
func (d *Deployer) Find(ctx context.Context, id string) (Version, error) {
	all, err := d.Versions(ctx)
	if err != nil {
		return Version{}, err
	}
	for _, v := range all {
		if v.Version == id {
			return v, nil
		}
	}
	var known []string
	for _, v := range all {
		if v.Kind != KindConfig {
			known = append(known, v.Version)
		}
	}
	hint := "none is stored yet: run `velin rollback create-version`"
	if len(known) > 0 {
		hint = "stored: " + strings.Join(known, ", ")
	}
	return Version{}, fmt.Errorf("deployment %s: %w %q (%s)", d.cfg.Name, ErrUnknownVersion, id, hint)
}

// ParseLabel splits "v1.2.0 - Feature X Release" into the version (the
// text before " - ") and the label. An explicit version wins.
func ParseLabel(label, explicit string) (version string, err error) {
	if strings.TrimSpace(label) == "" {
		return "", ErrEmptyLabel
	}
	version = explicit
	if version == "" {
		version, _, _ = strings.Cut(label, " - ")
	}
	version = strings.TrimSpace(version)
	if !validVersion(version) {
		return "", fmt.Errorf("%q is not a usable version: use letters, digits, '.', '-', '_' and '+' (or set one with --version)", version)
	}
	return version, nil
}

// validVersion: a version names a directory under releases/.
func validVersion(v string) bool {
	if v == "" || len(v) > 128 || v == "." || v == ".." || strings.HasPrefix(v, ".") {
		return false
	}
	for _, c := range v {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-_+", c)
		if !ok {
			return false
		}
	}
	return true
}
