package txn

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// beginDB begins a transaction whose begin takes a database snapshot.
func beginDB(t *testing.T, m *Manager, tg *fakeTarget) *Tx {
	t.Helper()
	tx, err := m.Begin(context.Background(), BeginOptions{Deployment: "api", Timeout: time.Minute,
		Plan: PlanRef{Dir: "/plan"}, Target: tg, Arm: noWatchdog, Backup: tg.backup})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func stepKeys(tx *Tx) []string {
	var keys []string
	for _, s := range Plan(tx) {
		keys = append(keys, s.Key)
	}
	return keys
}

// TestRollbackRestoresDatabaseWithoutMigrate: no migrate block (no schema
// version): the database snapshot is restored, as a keyed step before the
// switch, and its hold is released when the rollback is done.
func TestRollbackRestoresDatabaseWithoutMigrate(t *testing.T) {
	tg := newFake()
	tg.schema = ""
	m, _ := testManager(t, tg)
	tx := beginDB(t, m, tg)
	if tg.holds["db-rows-1"] != tx.ID() {
		t.Fatalf("holds after begin: %v", tg.holds)
	}
	want := []string{"config:snap-cfg-1", "database:db-rows-1", "switch:v1"}
	if got := stepKeys(tx); !slices.Equal(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	tg.deploy()
	tg.schema, tg.db = "", "rows-2"
	if _, err := m.Rollback(context.Background(), "api", tg); err != nil {
		t.Fatal(err)
	}
	if tg.db != "rows-1" || tg.release != "v1" || tg.config != "cfg-1" {
		t.Fatalf("after rollback: db %q release %q config %q", tg.db, tg.release, tg.config)
	}
	if len(tg.holds) != 0 {
		t.Fatalf("holds after rollback: %v", tg.holds)
	}
}

// TestRollbackRestoresDatabaseWhenMigrateDownFails: with a schema
// version the step migrates down; the snapshot is restored only when that
// fails.
func TestRollbackRestoresDatabaseWhenMigrateDownFails(t *testing.T) {
	for _, fail := range []bool{false, true} {
		tg := newFake()
		m, _ := testManager(t, tg)
		beginDB(t, m, tg)
		tg.deploy()
		tg.db = "rows-2"
		if fail {
			tg.failOn = "migrate-down"
		}
		if _, err := m.Rollback(context.Background(), "api", tg); err != nil {
			t.Fatalf("fail %v: %v", fail, err)
		}
		restored := tg.count("restore-database")
		if fail && (restored != 1 || tg.db != "rows-1") || !fail && (restored != 0 || tg.schema != "0001") {
			t.Fatalf("migrate-down failing %v: %d restores, db %q, schema %q", fail, restored, tg.db, tg.schema)
		}
	}
}

// TestDatabaseStepNotRepeated: a rollback that failed after the database
// step resumes after it: the snapshot is restored once.
func TestDatabaseStepNotRepeated(t *testing.T) {
	tg := newFake()
	tg.schema = ""
	m, _ := testManager(t, tg)
	beginDB(t, m, tg)
	tg.deploy()
	tg.schema, tg.db = "", "rows-2"
	tg.failOn = "switch"
	if _, err := m.Rollback(context.Background(), "api", tg); !errors.Is(err, errInjected) {
		t.Fatalf("first rollback: %v", err)
	}
	tg.db = "rows-3" // the database step is recorded: not run again
	tg.failOn = ""
	if _, err := m.Rollback(context.Background(), "api", tg); err != nil {
		t.Fatal(err)
	}
	if n := tg.count("restore-database"); n != 1 || tg.db != "rows-3" || tg.release != "v1" {
		t.Fatalf("%d restores, db %q, release %q", n, tg.db, tg.release)
	}
}

// TestConfigOnlyRollbackRestarts: the release did not change: the
// rollback restores the config and restarts (stop, start, health) the
// release instead of switching.
func TestConfigOnlyRollbackRestarts(t *testing.T) {
	tg := newFake()
	m, _ := testManager(t, tg)
	begin(t, m, tg)
	tg.config = "cfg-2"
	if _, err := m.Rollback(context.Background(), "api", tg); err != nil {
		t.Fatal(err)
	}
	if tg.config != "cfg-1" || tg.count("restart") != 1 || tg.count("switch") != 0 {
		t.Fatalf("config %q, calls %v", tg.config, tg.calls)
	}
}

// TestHoldReleasedOnCommitAndFailedBegin: the hold taken at begin goes
// when the transaction commits, and when its begin fails.
func TestHoldReleasedOnCommitAndFailedBegin(t *testing.T) {
	tg := newFake()
	m, _ := testManager(t, tg)
	beginDB(t, m, tg)
	if len(tg.holds) != 1 {
		t.Fatalf("holds after begin: %v", tg.holds)
	}
	if _, err := m.Commit(context.Background(), "api", tg); err != nil {
		t.Fatal(err)
	}
	if len(tg.holds) != 0 {
		t.Fatalf("holds after commit: %v", tg.holds)
	}
	armFails := func(context.Context, *Tx) (int, error) { return 0, errInjected }
	_, err := m.Begin(context.Background(), BeginOptions{Deployment: "api", Timeout: time.Minute,
		Target: tg, Arm: armFails, Backup: tg.backup})
	if !errors.Is(err, errInjected) || len(tg.holds) != 0 {
		t.Fatalf("failed begin: %v, holds %v", err, tg.holds)
	}
}
