package txn

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// States of a transaction, derived from its last record.
const (
	StateOpen           = "open"            // begun, not committed
	StateCommitted      = "committed"       // commit record: terminal
	StateRollingBack    = "rolling-back"    // rollback-start, not finished (running or cut by a crash)
	StateRolledBack     = "rolled-back"     // rollback-done: terminal
	StateRollbackFailed = "rollback-failed" // a step failed: `velin rollback rollback` retries
)

// Tx is one transaction as its journal records it.
type Tx struct {
	Dir     string
	Records []Record
}

// ID is the transaction's id.
func (t *Tx) ID() string { return t.Records[0].TxID }

// Begin is the begin record.
func (t *Tx) Begin() Record { return t.Records[0] }

// Last is the last record.
func (t *Tx) Last() Record { return t.Records[len(t.Records)-1] }

// find returns the first record of kind.
func (t *Tx) find(kind string) (Record, bool) {
	for _, r := range t.Records {
		if r.Kind == kind {
			return r, true
		}
	}
	return Record{}, false
}

// Snapshot is the state recorded at begin (ok false: none was recorded).
func (t *Tx) Snapshot() (Record, bool) { return t.find(KindSnapshot) }

// Armed reports whether the watchdog was armed.
func (t *Tx) Armed() bool { _, ok := t.find(KindArmed); return ok }

// RollbackReason is the reason of the rollback-start record, or "".
func (t *Tx) RollbackReason() string {
	r, _ := t.find(KindRollbackStart)
	return r.Reason
}

// State is the transaction's state.
func (t *Tx) State() string {
	switch t.Last().Kind {
	case KindCommit:
		return StateCommitted
	case KindRollbackDone:
		return StateRolledBack
	case KindRollbackFailed:
		return StateRollbackFailed
	case KindRollbackStart, KindRollbackStep:
		return StateRollingBack
	}
	return StateOpen
}

// Ended reports whether the transaction has a terminal record.
func (t *Tx) Ended() bool { return t.Last().Terminal() }

// stepDone reports whether a rollback-step record names key.
func (t *Tx) stepDone(key string) bool {
	for _, r := range t.Records {
		if r.Kind == KindRollbackStep && r.Step == key {
			return true
		}
	}
	return false
}

// add appends a record of kind (seq and time filled in) durably.
func (t *Tx) add(now time.Time, r Record) error {
	r.Seq = len(t.Records) + 1
	r.Time = now.UTC()
	if len(t.Records) > 0 && t.Ended() {
		return fmt.Errorf("journal %s: transaction %s has ended", r.Kind, t.ID())
	}
	if err := appendRecord(t.Dir, r); err != nil {
		return err
	}
	t.Records = append(t.Records, r)
	return nil
}

// watchdogLock is the file the watchdog holds locked while it lives.
func (t *Tx) watchdogLock() string { return filepath.Join(t.Dir, "watchdog.lock") }

// WatchdogLog is the watchdog's output.
func (t *Tx) WatchdogLog() string { return filepath.Join(t.Dir, "watchdog.log") }

// Journal is the directory of transactions: open ones in <dir>/<txid>/,
// ended ones moved to <dir>/done/<txid>/, per-deployment locks in
// <dir>/locks/.
type Journal struct{ Dir string }

func (j Journal) lockPath(deployment string) string {
	return filepath.Join(j.Dir, "locks", deployment+".lock")
}

// ensure creates the journal's directories (0700).
func (j Journal) ensure() error {
	for _, d := range []string{j.Dir, filepath.Join(j.Dir, "locks"), filepath.Join(j.Dir, "done")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
	}
	return nil
}

// Open lists the transactions not yet moved to done/, oldest first: one
// listing of the journal directory, then one of each transaction's. A
// missing journal directory is an empty journal.
func (j Journal) Open() ([]*Tx, error) {
	entries, err := os.ReadDir(j.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	var out []*Tx
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "done" || e.Name() == "locks" || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		t, err := j.load(filepath.Join(j.Dir, e.Name()))
		if errors.Is(err, errNoBegin) {
			continue // a begin cut before its first record: nothing was armed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID() < out[b].ID() })
	return out, nil
}

// Get reads transaction id, open or ended.
func (j Journal) Get(id string) (*Tx, error) {
	if id == "" || strings.ContainsAny(id, "/\\") || strings.HasPrefix(id, ".") {
		return nil, fmt.Errorf("journal: bad transaction id %q", id)
	}
	t, err := j.load(filepath.Join(j.Dir, id))
	if errors.Is(err, fs.ErrNotExist) {
		t, err = j.load(filepath.Join(j.Dir, "done", id))
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("journal: no transaction %s", id)
	}
	return t, err
}

func (j Journal) load(dir string) (*Tx, error) {
	recs, err := readRecords(dir)
	if err != nil {
		return nil, err
	}
	return &Tx{Dir: dir, Records: recs}, nil
}

// create makes a new transaction directory and writes its begin record.
// A directory left without a begin record by a crash is ignored by Open.
func (j Journal) create(now time.Time, begin Record) (*Tx, error) {
	if err := j.ensure(); err != nil {
		return nil, err
	}
	begin.TxID = newID(now)
	t := &Tx{Dir: filepath.Join(j.Dir, begin.TxID)}
	if err := os.Mkdir(t.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if err := syncDir(j.Dir); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	begin.Kind = KindBegin
	if err := t.add(now, begin); err != nil {
		return nil, err
	}
	return t, nil
}

// retire moves an ended transaction to done/ so that the listing at every
// command's start stays short. A crash before the move leaves an ended
// transaction in place; the next Open moves it.
func (j Journal) retire(t *Tx) error {
	if !t.Ended() || filepath.Dir(t.Dir) != filepath.Clean(j.Dir) {
		return nil
	}
	if err := j.ensure(); err != nil {
		return err
	}
	dst := filepath.Join(j.Dir, "done", filepath.Base(t.Dir))
	if err := os.Rename(t.Dir, dst); err != nil {
		return fmt.Errorf("journal: retire %s: %w", t.ID(), err)
	}
	t.Dir = dst
	return syncDir(j.Dir)
}

// newID is a sortable, unique transaction id: UTC time and 4 random bytes.
func newID(now time.Time) string {
	var b [4]byte
	rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// latestDone is deployment's most recent ended transaction (nil if none).
func (j Journal) latestDone(deployment string) (*Tx, error) {
	entries, err := os.ReadDir(filepath.Join(j.Dir, "done"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	for i := len(entries) - 1; i >= 0; i-- {
		t, err := j.load(filepath.Join(j.Dir, "done", entries[i].Name()))
		if err == nil && t.Begin().Deployment == deployment {
			return t, nil
		}
	}
	return nil, nil
}

// WatchdogAlive reports whether a watchdog holds t's lock. It takes the
// lock for an instant when it is free: call it under the deployment's lock
// or accept that a watchdog starting at that instant waits a little.
func (t *Tx) WatchdogAlive() bool { return held(t.watchdogLock()) }
