package txn

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSecondBeginRefusedNamingTheOpenOne(t *testing.T) {
	tg := newFake()
	m, _ := testManager(t, tg)
	first := begin(t, m, tg)
	_, err := m.Begin(context.Background(), BeginOptions{Deployment: "api", Timeout: time.Minute, Target: tg, Arm: noWatchdog})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), first.ID()) {
		t.Fatalf("second begin: %v", err)
	}
}

// TestRacingBeginsOneWins: begins started together on one deployment:
// exactly one opens a transaction, the others are refused.
func TestRacingBeginsOneWins(t *testing.T) {
	tg := newFake()
	m, _ := testManager(t, tg)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = m.Begin(context.Background(), BeginOptions{Deployment: "api", Timeout: time.Minute,
				Target: tg, Arm: noWatchdog})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrRefused):
			t.Fatalf("begin: %v", err)
		}
	}
	txs, _ := m.Journal.Open()
	if won != 1 || len(txs) != 1 {
		t.Fatalf("%d begins won, %d transactions open", won, len(txs))
	}
}

func TestCommitAfterDeadlineRefused(t *testing.T) {
	tg := newFake()
	m, c := testManager(t, tg)
	begin(t, m, tg)
	c.Add(time.Minute + time.Second)
	_, err := m.Commit(context.Background(), "api", tg)
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("late commit: %v", err)
	}
	if tx, _ := m.OpenTx("api"); tx == nil || tx.State() != StateOpen {
		t.Fatal("a refused commit closed the transaction")
	}
}

func TestCommitAfterRollbackRefused(t *testing.T) {
	tg := newFake()
	m, _ := testManager(t, tg)
	begin(t, m, tg)
	if _, err := m.Rollback(context.Background(), "api", tg); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Commit(context.Background(), "api", tg); !errors.Is(err, ErrRefused) {
		t.Fatalf("commit after rollback: %v", err)
	}
}

func TestCommitChecksHealthFirst(t *testing.T) {
	tg := newFake()
	m, _ := testManager(t, tg)
	begin(t, m, tg)
	tg.healthy = false
	if _, err := m.Commit(context.Background(), "api", tg); err == nil || errors.Is(err, ErrRefused) {
		t.Fatalf("commit of an unhealthy deployment: %v", err)
	}
	if tx, _ := m.OpenTx("api"); tx == nil || tx.State() != StateOpen {
		t.Fatal("a failed health check closed the transaction")
	}
	tg.healthy = true
	tx, err := m.Commit(context.Background(), "api", tg)
	if err != nil || tx.State() != StateCommitted {
		t.Fatalf("commit: %v", err)
	}
	if open, _ := m.Journal.Open(); len(open) != 0 {
		t.Fatalf("a committed transaction stays in the journal's top: %d", len(open))
	}
}

// TestFailedBeginLeavesNothingArmed: a begin whose snapshot or watchdog
// fails ends its transaction; the next begin is not refused.
func TestFailedBeginLeavesNothingArmed(t *testing.T) {
	for _, fail := range []string{"snapshot-config", "arm"} {
		t.Run(fail, func(t *testing.T) {
			tg := newFake()
			tg.failOn = fail
			m, _ := testManager(t, tg)
			arm := func(context.Context, *Tx) (int, error) {
				if fail == "arm" {
					return 0, errInjected
				}
				return 0, nil
			}
			_, err := m.Begin(context.Background(), BeginOptions{Deployment: "api", Timeout: time.Minute, Target: tg, Arm: arm})
			if !errors.Is(err, errInjected) {
				t.Fatalf("begin: %v", err)
			}
			if tx, _ := m.OpenTx("api"); tx != nil {
				t.Fatalf("transaction %s left %s", tx.ID(), tx.State())
			}
			last, _ := m.Latest("api")
			if last == nil || last.Last().Reason != ReasonBeginFailed {
				t.Fatalf("last transaction: %+v", last)
			}
			tg.failOn = ""
			begin(t, m, tg)
		})
	}
}

// TestRecoverDecisions: recovery leaves a transaction whose watchdog lives
// on the same boot before its deadline, and rolls back when the watchdog
// is gone, the boot id changed or the deadline passed.
func TestRecoverDecisions(t *testing.T) {
	for _, tc := range []struct {
		name             string
		watchdog, reboot bool
		late, wantRolled bool
		wantWhy          string
	}{
		{name: "alive", watchdog: true},
		{name: "watchdog-gone", wantRolled: true, wantWhy: "watchdog is gone"},
		{name: "rebooted", watchdog: true, reboot: true, wantRolled: true, wantWhy: "rebooted"},
		{name: "late", watchdog: true, late: true, wantRolled: true, wantWhy: "deadline passed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := newFake()
			m, c := testManager(t, tg)
			tx := begin(t, m, tg)
			tg.deploy()
			if tc.watchdog {
				l, err := tryLock(tx.watchdogLock())
				if err != nil {
					t.Fatal(err)
				}
				defer l.Unlock()
			}
			if tc.reboot {
				m.BootID = "boot-2"
			}
			if tc.late {
				c.Add(time.Hour)
			}
			outs, err := m.Recover(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			rolled := len(outs) == 1 && tg.release == "v1"
			if rolled != tc.wantRolled || rolled && !strings.Contains(outs[0].Why, tc.wantWhy) {
				t.Fatalf("outcomes %+v, release %s", outs, tg.release)
			}
		})
	}
}

// TestRecoverLeavesABusyDeployment: a transaction whose deployment lock is
// held (a begin or rollback in progress) is not touched.
func TestRecoverLeavesABusyDeployment(t *testing.T) {
	tg := newFake()
	m, _ := testManager(t, tg)
	begin(t, m, tg)
	l, err := tryLock(m.Journal.lockPath("api"))
	if err != nil {
		t.Fatal(err)
	}
	outs, err := m.Recover(context.Background())
	l.Unlock()
	if err != nil || len(outs) != 0 {
		t.Fatalf("recover: %v %+v", err, outs)
	}
}

// TestFailedRollbackResumes: a rollback whose switch fails is recorded as
// failed, recovery leaves it, and `rollback` resumes after the steps done.
func TestFailedRollbackResumes(t *testing.T) {
	tg := newFake()
	m, _ := testManager(t, tg)
	begin(t, m, tg)
	tg.deploy()
	tg.failOn = "switch"
	tx, err := m.Rollback(context.Background(), "api", tg)
	if !errors.Is(err, errInjected) || tx.State() != StateRollbackFailed {
		t.Fatalf("rollback: %v, state %s", err, tx.State())
	}
	if outs, _ := m.Recover(context.Background()); len(outs) != 0 {
		t.Fatalf("recovery retried a failed rollback: %+v", outs)
	}
	tg.failOn = ""
	if tx, err = m.Rollback(context.Background(), "api", tg); err != nil || tx.State() != StateRolledBack {
		t.Fatalf("resume: %v", err)
	}
	if tg.count("migrate-down") != 1 || tg.count("restore-config") != 1 || tg.release != "v1" {
		t.Fatalf("calls %v, release %s", tg.calls, tg.release)
	}
}

// TestWatchdogRollsBackAtDeadline: the watchdog holds its lock while it
// waits, and rolls back once the clock passes the deadline.
func TestWatchdogRollsBackAtDeadline(t *testing.T) {
	tg := newFake()
	m, c := testManager(t, tg)
	tx := begin(t, m, tg)
	tg.deploy()
	ready := make(chan struct{})
	done := make(chan *Outcome, 1)
	go func() {
		o, err := m.Watch(context.Background(), tx.ID(), WatchdogOptions{Ready: func() { close(ready) }, Poll: time.Millisecond})
		if err != nil {
			t.Error(err)
		}
		done <- o
	}()
	<-ready
	if !held(tx.watchdogLock()) {
		t.Fatal("the watchdog does not hold its lock")
	}
	if outs, _ := m.Recover(context.Background()); len(outs) != 0 {
		t.Fatalf("recovery acted while the watchdog lives: %+v", outs)
	}
	c.Add(time.Minute)
	o := <-done
	if o == nil || o.Reason != ReasonDeadline || tg.release != "v1" {
		t.Fatalf("outcome %+v, release %s", o, tg.release)
	}
	if held(tx.watchdogLock()) {
		t.Fatal("the lock outlived the watchdog")
	}
}

// TestWatchdogExitsOnCommit: a commit ends the watchdog without a rollback.
func TestWatchdogExitsOnCommit(t *testing.T) {
	tg := newFake()
	m, _ := testManager(t, tg)
	tx := begin(t, m, tg)
	done := make(chan *Outcome, 1)
	go func() {
		o, _ := m.Watch(context.Background(), tx.ID(), WatchdogOptions{Poll: time.Millisecond})
		done <- o
	}()
	if _, err := m.Commit(context.Background(), "api", tg); err != nil {
		t.Fatal(err)
	}
	if o := <-done; o != nil || tg.count("switch") != 0 {
		t.Fatalf("outcome %+v, calls %v", o, tg.calls)
	}
}

// TestBeginRecordsTheDatabaseSnapshot: the backup runs at begin and its
// snapshot id is recorded; a failing backup fails the begin, unarmed.
func TestBeginRecordsTheDatabaseSnapshot(t *testing.T) {
	tg := newFake()
	m, _ := testManager(t, tg)
	armed := false
	o := BeginOptions{Deployment: "api", Timeout: time.Minute, Target: tg,
		Arm:    func(context.Context, *Tx) (int, error) { armed = true; return 0, nil },
		Backup: func(context.Context) (string, error) { return "", errInjected }}
	if _, err := m.Begin(context.Background(), o); !errors.Is(err, errInjected) || armed {
		t.Fatalf("begin with a failing backup: %v (armed %v)", err, armed)
	}
	o.Backup = func(context.Context) (string, error) { return "20261202-1000-full", nil }
	tx, err := m.Begin(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if snap, _ := tx.Snapshot(); snap.Database != "20261202-1000-full" {
		t.Fatalf("snapshot record %+v", snap)
	}
}
