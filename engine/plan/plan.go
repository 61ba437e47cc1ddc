package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/providers/provider"
)

// FormatVersion is the version of the saved plan format.
const FormatVersion = 1

// Action is one node of the graph, described for the user.
type Action struct {
	Node    string            `json:"node"`
	Kind    string            `json:"kind"`
	Phase   string            `json:"phase"`
	Owner   string            `json:"owner"`
	Addr    string            `json:"addr"`
	Marker  string            `json:"marker"` // "+", "~", "-"
	Summary string            `json:"summary"`
	Details []string          `json:"details,omitempty"`
	Facts   *provider.Facts   `json:"facts,omitempty"`
	Parent  string            `json:"parent,omitempty"`
	Forget  []string          `json:"forget,omitempty"`
	Changes []provider.Change `json:"changes,omitempty"`
	Error   string            `json:"error,omitempty"`
}

// Summary counts what the plan will do.
type Summary struct {
	Snapshots int   `json:"snapshots"`
	Sources   int   `json:"sources"`
	Files     int64 `json:"files"`
	Bytes     int64 `json:"bytes"`
	Forget    int   `json:"forget"`
	Steps     int   `json:"steps"`
	Restores  int   `json:"restores"`
	Overwrite int   `json:"overwrite"`
	Errors    int   `json:"errors"`
}

// Plan is the ordered list of actions of one run.
type Plan struct {
	Version    int               `json:"version"`
	Created    time.Time         `json:"created"`
	ConfigPath string            `json:"config_path"`
	ConfigHash string            `json:"config_hash"`
	Selection  graph.Selection   `json:"selection"`
	Snapshot   string            `json:"snapshot,omitempty"` // restore: the snapshot chosen
	Repos      map[string]string `json:"repos"`              // target address → repository fingerprint
	Actions    []Action          `json:"actions"`
	Summary    Summary           `json:"summary"`
	// Transactions are the deployments' open transactions (transactions.go).
	Transactions []Transaction `json:"transactions,omitempty"`
	// Deployments are the deployment blocks' states (deployments.go).
	Deployments []Deployment `json:"deployments,omitempty"`

	errs []error // why actions cannot run, typed (see Err)
}

// HasChanges reports whether applying the plan would do anything.
func (p *Plan) HasChanges() bool { return len(p.Actions) > 0 }

// Errors lists the actions that could not be planned.
// Err joins the errors of the actions that cannot run, nil when none, for
// errors.Is (a wrong passphrase, a missing or locked repository). Only a
// plan made in this process has it; a saved plan read back does not.
func (p *Plan) Err() error { return errors.Join(p.errs...) }

func (p *Plan) Errors() []string {
	var out []string
	for _, a := range p.Actions {
		if a.Error != "" {
			out = append(out, a.Node+": "+a.Error)
		}
	}
	return out
}

// Save writes the plan as JSON (temp, fsync, rename). A plan holds no
// secrets: variable values are only present as part of ConfigHash.
func (p *Plan) Save(path string) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	return writeFileAtomic(path, b)
}

// Read loads a saved plan.
func Read(path string) (*Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("read plan %s: not a velin plan file: %w", path, err)
	}
	if p.Version != FormatVersion {
		return nil, fmt.Errorf("read plan %s: format version %d, this velin reads %d", path, p.Version, FormatVersion)
	}
	return &p, nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("save plan: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("save plan: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	return nil
}
