package cli

import (
	"sort"
	"strings"
	"time"

	"github.com/velinhq/velin/engine/repo"
)

// timeFormat is how times are printed as text: local time with its offset.
const timeFormat = "2006-01-02 15:04:05 -07:00"

// snapshotJSON is a snapshot as the CLI prints it with --json: the
// manifest, with lists never null and verification results as objects.
type snapshotJSON struct {
	ID           string                `json:"id"`
	Target       string                `json:"target"`  // the first target that holds it
	Targets      []string              `json:"targets"` // every target that holds it (TYPE.NAME)
	Time         time.Time             `json:"time"`
	Host         string                `json:"host"`
	MachineID    string                `json:"machine_id"`
	VelinVersion string                `json:"velin_version"`
	Plan         string                `json:"plan"`
	Backup       string                `json:"backup"`
	Kind         string                `json:"kind"` // "backup", or "deployment" (a deployment's version)
	Strategy     string                `json:"strategy"`
	Parent       string                `json:"parent"`
	Sources      []repo.SourceManifest `json:"sources"`
	Size         int64                 `json:"size"`
	StoredBytes  int64                 `json:"stored_bytes"`
	Stats        *repo.BackupStats     `json:"stats"`
	Verification *verificationJSON     `json:"verification"`
	Repaired     *repo.RepairNote      `json:"repaired"` // null unless `backup repair snapshots` wrote it
}

// verificationJSON is a manifest's verification record as objects.
type verificationJSON struct {
	Time   time.Time    `json:"time"`
	Status string       `json:"status"` // ok, failed, or none when nothing was checked
	Checks []repo.Check `json:"checks"`
}

func toSnapshotJSON(target string, m *repo.Manifest) snapshotJSON {
	s := snapshotJSON{ID: m.ID, Target: target, Targets: []string{strings.TrimPrefix(target, "target.")}, Time: m.Time, Host: m.Host, MachineID: m.MachineID, VelinVersion: m.VelinVersion,
		Plan: m.Plan, Backup: m.Backup, Kind: snapshotKind(m), Strategy: m.Strategy, Parent: m.Parent, Sources: m.Sources,
		Size: m.Size, StoredBytes: m.StoredBytes, Stats: m.Stats, Verification: toVerificationJSON(m.Verification),
		Repaired: m.Repaired}
	if s.Sources == nil {
		s.Sources = []repo.SourceManifest{}
	}
	return s
}

// snapshotKind is "deployment" for a deployment's version or snapshot,
// else "backup".
func snapshotKind(m *repo.Manifest) string {
	if m.IsDeployment() {
		return "deployment"
	}
	return "backup"
}

func toVerificationJSON(v *repo.Verification) *verificationJSON {
	if v == nil {
		return nil
	}
	out := &verificationJSON{Time: v.Time, Checks: v.Checks}
	if out.Checks == nil {
		out.Checks = legacyChecks(v)
	}
	out.Status = verificationStatus(v)
	return out
}

// legacyChecks turns the sentences of a manifest written before checks
// were recorded as data into objects (without counts).
func legacyChecks(v *repo.Verification) []repo.Check {
	out := []repo.Check{}
	add := func(kind, source, text string) {
		status, detail, _ := strings.Cut(text, ": ")
		c := repo.Check{Kind: kind, Source: source, Status: status}
		if status != "ok" {
			c.Status, c.Error = "failed", detail
		}
		out = append(out, c)
	}
	if v.Checksums != "" {
		add("checksums", "", v.Checksums)
	}
	keys := make([]string, 0, len(v.TestRestore))
	for k := range v.TestRestore {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add("test_restore", k, v.TestRestore[k])
	}
	return out
}
