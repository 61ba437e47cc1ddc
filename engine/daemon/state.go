package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// StateFormat is the version of the state file.
const StateFormat = 1

// State is what the daemon remembers across restarts, per backup name.
type State struct {
	Format  int                  `json:"format"`
	Backups map[string]*JobState `json:"backups"`
}

// JobState is one backup's last runs.
type JobState struct {
	// Scheduled is the due time of the last run started; Running is true
	// from its start until it ends (a run found running at start was
	// interrupted and counts as missed).
	Scheduled   time.Time `json:"scheduled"`
	Running     bool      `json:"running,omitempty"`
	LastStart   time.Time `json:"last_start"`
	LastEnd     time.Time `json:"last_end,omitempty"`
	LastSuccess time.Time `json:"last_success,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
}

// LoadState reads path; a missing file is an empty state.
func LoadState(path string) (*State, error) {
	st := &State{Format: StateFormat, Backups: map[string]*JobState{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read daemon state: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("read daemon state %s: %w", path, err)
	}
	if st.Format != StateFormat {
		return nil, fmt.Errorf("read daemon state %s: format %d, this velin reads %d", path, st.Format, StateFormat)
	}
	if st.Backups == nil {
		st.Backups = map[string]*JobState{}
	}
	return st, nil
}

// Save writes st to path crash-safely: a temporary file, fsync, rename,
// fsync of the directory.
func (st *State) Save(path string) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("save daemon state: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save daemon state: %w", err)
	}
	f, err := os.CreateTemp(dir, ".daemon-state-*")
	if err != nil {
		return fmt.Errorf("save daemon state: %w", err)
	}
	defer os.Remove(f.Name()) // fails harmlessly after the rename
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("save daemon state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("save daemon state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save daemon state: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("save daemon state: %w", err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("save daemon state: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("save daemon state: sync %s: %w", dir, err)
	}
	return nil
}

// job returns name's entry, creating it.
func (st *State) job(name string) *JobState {
	js := st.Backups[name]
	if js == nil {
		js = &JobState{}
		st.Backups[name] = js
	}
	return js
}
