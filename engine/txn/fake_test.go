package txn

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeTarget is a deployment in memory that counts what was done to it.
type fakeTarget struct {
	mu      sync.Mutex
	release string
	config  string // the live config's content
	configs map[string]string
	schema  string
	healthy bool
	db      string               // the database's content
	dbSnaps map[string][2]string // database snapshots by id: content and schema
	holds   map[string]string    // database snapshot id -> transaction holding it
	calls   []string
	failOn  string // a method that fails (once per call)
}

func newFake() *fakeTarget {
	return &fakeTarget{release: "v1", config: "cfg-1", schema: "0001", healthy: true, configs: map[string]string{},
		db: "rows-1", dbSnaps: map[string][2]string{}, holds: map[string]string{}}
}

var errInjected = errors.New("injected failure")

func (f *fakeTarget) call(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	if f.failOn == name {
		return errInjected
	}
	return nil
}

func (f *fakeTarget) Current(context.Context) (string, error) { return f.release, f.call("current") }
func (f *fakeTarget) SchemaVersion(context.Context) (string, error) {
	return f.schema, f.call("schema")
}
func (f *fakeTarget) SnapshotConfig(context.Context) (string, error) {
	id := "snap-" + f.config
	f.configs[id] = f.config
	return id, f.call("snapshot-config")
}
func (f *fakeTarget) RestoreConfig(_ context.Context, id string) error {
	if err := f.call("restore-config"); err != nil {
		return err
	}
	f.config = f.configs[id]
	return nil
}
func (f *fakeTarget) MigrateDown(_ context.Context, v string) error {
	if err := f.call("migrate-down"); err != nil {
		return err
	}
	f.schema = v
	return nil
}
func (f *fakeTarget) Switch(_ context.Context, r string) error {
	if err := f.call("switch"); err != nil {
		return err
	}
	f.release = r
	return nil
}
func (f *fakeTarget) Health(context.Context) error {
	if err := f.call("health"); err != nil {
		return err
	}
	if !f.healthy {
		return errors.New("unhealthy")
	}
	return nil
}

func (f *fakeTarget) Restart(context.Context) error {
	if err := f.call("restart"); err != nil {
		return err
	}
	if !f.healthy {
		return errors.New("unhealthy")
	}
	return nil
}
func (f *fakeTarget) RestoreDatabase(_ context.Context, id string) error {
	if err := f.call("restore-database"); err != nil {
		return err
	}
	f.db, f.schema = f.dbSnaps[id][0], f.dbSnaps[id][1]
	return nil
}
func (f *fakeTarget) HoldDatabase(_ context.Context, id, tx string) error {
	if err := f.call("hold"); err != nil {
		return err
	}
	f.holds[id] = tx
	return nil
}
func (f *fakeTarget) ReleaseDatabase(_ context.Context, id, tx string) error {
	if err := f.call("release"); err != nil {
		return err
	}
	if f.holds[id] == tx {
		delete(f.holds, id)
	}
	return nil
}

// backup is a BeginOptions.Backup that snapshots the fake's database.
func (f *fakeTarget) backup(context.Context) (string, error) {
	id := "db-" + f.db
	f.dbSnaps[id] = [2]string{f.db, f.schema}
	return id, f.call("backup")
}

// count is how many times method was called.
func (f *fakeTarget) count(method string) int {
	n := 0
	for _, c := range f.calls {
		if c == method {
			n++
		}
	}
	return n
}

// deploy changes the fake as a new release would.
func (f *fakeTarget) deploy() { f.release, f.config, f.schema = "v2", "cfg-2", "0002" }

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testManager is a Manager on a temporary journal whose Open returns tg.
func testManager(t testing.TB, tg Target) (*Manager, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	m := &Manager{
		Journal: Journal{Dir: filepath.Join(t.TempDir(), "journal")}, Now: c.Now, BootID: "boot-1",
		Host: "test", PID: 1, Version: "test", LockWait: time.Minute, // racing begins wait for each other's fsyncs, slow under load
		Open: func(context.Context, Record) (Target, error) { return tg, nil },
	}
	return m, c
}

// noWatchdog arms nothing (the tests play the watchdog themselves).
func noWatchdog(context.Context, *Tx) (int, error) { return 0, nil }

func begin(t *testing.T, m *Manager, tg Target) *Tx {
	t.Helper()
	tx, err := m.Begin(context.Background(), BeginOptions{Deployment: "api", Timeout: time.Minute,
		Plan: PlanRef{Dir: "/plan"}, Target: tg, Arm: noWatchdog})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}
