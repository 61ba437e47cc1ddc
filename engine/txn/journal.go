package txn

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Record kinds, in the order a transaction writes them.
const (
	KindBegin          = "begin"
	KindSnapshot       = "snapshot"
	KindArmed          = "armed"
	KindCommit         = "commit"
	KindRollbackStart  = "rollback-start"
	KindRollbackStep   = "rollback-step"
	KindRollbackDone   = "rollback-done"
	KindRollbackFailed = "rollback-failed"
)

// Rollback reasons (the rollback-start record's Reason).
const (
	ReasonRequested     = "requested"
	ReasonDeadline      = "deadline"
	ReasonCrashRecovery = "crash-recovery"
	ReasonBeginFailed   = "begin-failed"
)

// PlanRef says where the plan of a transaction is, so that the watchdog
// and recovery can load it again: paths only, never variable values.
type PlanRef struct {
	Dir      string   `json:"dir"`
	File     string   `json:"file,omitempty"`
	VarFiles []string `json:"var_files,omitempty"`
}

// Record is one journal record. Which fields are set depends on Kind.
type Record struct {
	Seq  int       `json:"seq"`
	Kind string    `json:"kind"`
	Time time.Time `json:"time"`

	// begin
	TxID       string    `json:"tx,omitempty"`
	Deployment string    `json:"deployment,omitempty"`
	Deadline   time.Time `json:"deadline,omitzero"`
	BootID     string    `json:"boot_id,omitempty"`
	Host       string    `json:"host,omitempty"`
	PID        int       `json:"pid,omitempty"`
	Version    string    `json:"velin_version,omitempty"`
	Plan       *PlanRef  `json:"plan,omitempty"`

	// snapshot
	Release        string `json:"release,omitempty"`
	ConfigSnapshot string `json:"config_snapshot,omitempty"`
	Schema         string `json:"schema,omitempty"`
	// Database is the database snapshot taken at begin, or "" (none).
	Database string `json:"database,omitempty"`

	// armed
	Watchdog    string `json:"watchdog,omitempty"`
	WatchdogPID int    `json:"watchdog_pid,omitempty"`

	// rollback-start, rollback-done
	Reason string `json:"reason,omitempty"`
	// rollback-step
	Step string `json:"step,omitempty"`
	// rollback-failed, rollback-done (what was wrong or what was left)
	Message string `json:"message,omitempty"`
}

// Terminal reports whether no record may follow r.
func (r Record) Terminal() bool {
	return r.Kind == KindCommit || r.Kind == KindRollbackDone
}

// fileName is a record's name in its transaction directory.
func fileName(seq int, kind string) string {
	return fmt.Sprintf("%08d-%s.json", seq, kind)
}

// appendRecord writes r as the next record of the transaction in dir:
// temp file, fsync, rename, fsync of dir. r.Seq must be one more than the
// last record's.
func appendRecord(dir string, r Record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("journal %s: %w", r.Kind, err)
	}
	final := filepath.Join(dir, fileName(r.Seq, r.Kind))
	if _, err := os.Lstat(final); err == nil {
		return fmt.Errorf("journal %s: record %d exists", r.Kind, r.Seq)
	}
	if err := writeFileSync(final, append(b, '\n')); err != nil {
		return fmt.Errorf("journal %s: %w", r.Kind, err)
	}
	return nil
}

// writeFileSync writes path atomically and durably (0600).
func writeFileSync(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
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
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// readRecords returns the records of the transaction in dir, in order.
// Temporary files (a write cut by a crash) are ignored; a record that does
// not parse, or a gap in the sequence, is an error.
func readRecords(dir string) ([]Record, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".json") && !strings.HasPrefix(n, ".") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	out := make([]Record, 0, len(names))
	for i, n := range names {
		r, err := readRecord(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		if seq, _ := strconv.Atoi(strings.SplitN(n, "-", 2)[0]); seq != i+1 || r.Seq != i+1 {
			return nil, fmt.Errorf("journal %s: record %s out of sequence (want %d)", dir, n, i+1)
		}
		out = append(out, r)
	}
	if len(out) == 0 || out[0].Kind != KindBegin {
		return nil, fmt.Errorf("journal %s: %w", dir, errNoBegin)
	}
	return out, nil
}

var errNoBegin = errors.New("no begin record")

func readRecord(path string) (Record, error) {
	var r Record
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("journal record %s: %w", path, err)
	}
	return r, nil
}
