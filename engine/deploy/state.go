package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// State is what a deployment remembers on this machine: the release that
// ran before the current one, the versions marked bad (with why) and the
// pinned ones. Stored as state.json in the state directory.
type State struct {
	Previous string            `json:"previous,omitempty"`
	Bad      map[string]string `json:"bad,omitempty"` // version → reason
	Pinned   []string          `json:"pinned,omitempty"`
	// Schemas is the schema version measured after each version last
	// passed its health check here: what to-version migrates down to.
	Schemas map[string]string `json:"schemas,omitempty"`
}

const stateFile = "state.json"

func (d *Deployer) loadState() (State, error) {
	var s State
	err := readJSON(filepath.Join(d.stateDir, stateFile), &s)
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	if s.Bad == nil {
		s.Bad = map[string]string{}
	}
	if s.Schemas == nil {
		s.Schemas = map[string]string{}
	}
	return s, err
}

func (d *Deployer) saveState(s State) error {
	sort.Strings(s.Pinned)
	return writeJSON(d.stateDir, stateFile, s)
}

// State returns the deployment's markers.
func (d *Deployer) State() (State, error) { return d.loadState() }

// Pin marks version as pinned (kept on disk by keep) or unpins it.
func (d *Deployer) Pin(version string, pinned bool) error {
	s, err := d.loadState()
	if err != nil {
		return err
	}
	out := s.Pinned[:0]
	for _, v := range s.Pinned {
		if v != version {
			out = append(out, v)
		}
	}
	if pinned {
		out = append(out, version)
	}
	s.Pinned = out
	return d.saveState(s)
}

func (d *Deployer) markBad(version, reason string) error {
	s, err := d.loadState()
	if err != nil {
		return err
	}
	s.Bad[version] = d.opts.Clock().UTC().Format(time.RFC3339) + ": " + reason
	return d.saveState(s)
}

// readJSON decodes the file at path into v.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// writeJSON writes v as dir/name durably: a temporary file (0600), fsync,
// rename, fsync of the directory.
func writeJSON(dir, name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return writeFileAtomic(dir, name, append(b, '\n'))
}

func writeFileAtomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return syncDir(dir)
}

// syncDir makes a directory's entries (a rename, a new file) durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
