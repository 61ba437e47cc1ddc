package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Origins is this host's index of the deployments switched here: for each,
// its state directory and the plan it came from. A boot-time `velin
// rollback recover` has no plan at hand and a state directory may be
// root/.velin: the index is how it finds a to-version a crash interrupted.
// Each entry is Dir/<name>-<hash of the state directory>.json (0600), written
// temp + fsync + rename before a switch's journal; entries are never needed
// once their journal is gone, and cost one stat each.
type Origins struct {
	Dir string // e.g. $VELIN_STATE_DIR/deployments.d
}

// Origin is one entry of Origins.
type Origin struct {
	Deployment string `json:"deployment"`
	StateDir   string `json:"state_dir"`
	// Plan is the caller's reference to the plan (opaque here; no secret:
	// -var values are never part of it).
	Plan json.RawMessage `json:"plan,omitempty"`
}

func (o Origins) name(org Origin) string {
	sum := sha256.Sum256([]byte(org.StateDir))
	return org.Deployment + "-" + hex.EncodeToString(sum[:8]) + ".json"
}

// Record writes org's entry (idempotent).
func (o Origins) Record(org Origin) error {
	if o.Dir == "" {
		return nil
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return fmt.Errorf("record origin of %s: %w", org.Deployment, err)
	}
	if err := writeJSON(o.Dir, o.name(org), org); err != nil {
		return fmt.Errorf("record origin of %s: %w", org.Deployment, err)
	}
	return nil
}

// Interrupted lists the entries whose state directory holds a switch's
// journal, by deployment name: the ones recovery must open.
func (o Origins) Interrupted() ([]Origin, error) {
	if o.Dir == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(o.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("deployment origins: %w", err)
	}
	var out []Origin
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		var org Origin
		if err := readJSON(filepath.Join(o.Dir, e.Name()), &org); err != nil {
			return out, fmt.Errorf("deployment origins: %w", err)
		}
		if _, err := os.Stat(filepath.Join(org.StateDir, journalFile)); err == nil {
			out = append(out, org)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Deployment < out[j].Deployment })
	return out, nil
}

// recordOrigin records d in its Origins, before a switch's journal.
func (d *Deployer) recordOrigin() error {
	dir, err := filepath.Abs(d.stateDir)
	if err != nil {
		return err
	}
	return d.opts.Origins.Record(Origin{Deployment: d.cfg.Name, StateDir: dir, Plan: d.opts.Plan})
}
