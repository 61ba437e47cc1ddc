package deploy

import (
	"errors"
	"os"
	"path/filepath"
	"time"
)

// journal is an unfinished switch, written before each step (Step is the
// step about to run) and removed once the switch ended either way. It
// holds versions and step names only, never a command or a secret.
type journal struct {
	From      string    `json:"from"`                 // the release that ran before ("" for a first deploy)
	To        string    `json:"to"`                   // the release being deployed
	MigrateTo string    `json:"migrate_to,omitempty"` // the schema version to migrate down to
	Schema    string    `json:"schema,omitempty"`     // the schema version before the switch: a return migrates back to it
	Config    string    `json:"config,omitempty"`     // a snapshot whose config paths are restored with the switch
	Step      int       `json:"step"`                 // next step of the forward or return list
	Returning bool      `json:"returning,omitempty"`  // going back to From after Failure
	Failure   string    `json:"failure,omitempty"`    // what failed, for the message and the bad marker
	Started   time.Time `json:"started"`
}

const journalFile = "journal.json"

func (d *Deployer) readJournal() (*journal, error) {
	var j journal
	err := readJSON(filepath.Join(d.stateDir, journalFile), &j)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &j, nil
}

func (d *Deployer) writeJournal(j *journal) error {
	return writeJSON(d.stateDir, journalFile, j)
}

func (d *Deployer) removeJournal() error {
	err := os.Remove(filepath.Join(d.stateDir, journalFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return syncDir(d.stateDir)
}
