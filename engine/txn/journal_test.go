package txn

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fullRollback runs a transaction to its end (begin, deploy, rollback) and
// returns its records.
func fullRollback(t *testing.T) []Record {
	t.Helper()
	tg := newFake()
	m, _ := testManager(t, tg)
	begin(t, m, tg)
	tg.deploy()
	tx, err := m.Rollback(context.Background(), "api", tg)
	if err != nil {
		t.Fatal(err)
	}
	kinds := kindsOf(tx.Records)
	want := []string{KindBegin, KindSnapshot, KindArmed, KindRollbackStart, KindRollbackStep, KindRollbackStep,
		KindRollbackStep, KindRollbackDone}
	if !slices.Equal(kinds, want) {
		t.Fatalf("records %v, want %v", kinds, want)
	}
	return tx.Records
}

func kindsOf(recs []Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Kind)
	}
	return out
}

// TestCrashAtEachRecordBoundary cuts a transaction after each of its
// records (as a crash would, leaving a half-written temporary file too),
// then runs recovery: it must end rolled back with the recorded state
// back, running each rollback action not yet recorded exactly once and
// none that was.
func TestCrashAtEachRecordBoundary(t *testing.T) {
	full := fullRollback(t)
	for k := 1; k <= len(full); k++ {
		recs := full[:k]
		t.Run(kindsOf(recs)[k-1]+"-"+string(rune('0'+k)), func(t *testing.T) {
			tg := newFake()
			tg.configs["snap-cfg-1"] = "cfg-1" // stored by the begin that wrote recs
			tg.deploy()
			m, _ := testManager(t, tg)
			dir := filepath.Join(m.Journal.Dir, recs[0].TxID)
			writeRecords(t, dir, recs)
			if err := os.WriteFile(filepath.Join(dir, ".tmp-123"), []byte(`{"seq": 9, "ki`), 0o600); err != nil {
				t.Fatal(err)
			}
			// Within the deadline: recovery acts because the watchdog is gone.
			outs, err := m.Recover(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			tx, err := m.Journal.Get(recs[0].TxID)
			if err != nil {
				t.Fatal(err)
			}
			checkRecovered(t, tx, recs, outs, tg)
		})
	}
}

func checkRecovered(t *testing.T, tx *Tx, recs []Record, outs []Outcome, tg *fakeTarget) {
	t.Helper()
	last := recs[len(recs)-1]
	if last.Terminal() {
		if len(outs) != 0 || len(tg.calls) != 0 {
			t.Fatalf("an ended transaction was acted on: %v %v", outs, tg.calls)
		}
		return
	}
	if tx.State() != StateRolledBack || len(outs) != 1 || outs[0].Err != nil {
		t.Fatalf("state %s, outcomes %+v, records %v", tx.State(), outs, kindsOf(tx.Records))
	}
	if len(recs) < 2 { // no snapshot: nothing to put back
		if len(tg.calls) != 0 || tx.Last().Message == "" {
			t.Fatalf("nothing was recorded, yet calls %v (message %q)", tg.calls, tx.Last().Message)
		}
		return
	}
	done := map[string]bool{}
	for _, r := range recs {
		if r.Kind == KindRollbackStep {
			done[r.Step] = true
		}
	}
	want := map[string]int{"migrate-down": 1, "restore-config": 1, "switch": 1}
	for key, method := range map[string]string{"migrate-down:0001": "migrate-down", "config:snap-cfg-1": "restore-config", "switch:v1": "switch"} {
		if done[key] {
			want[method] = 0
		}
	}
	for method, n := range want {
		if tg.count(method) != n {
			t.Errorf("%s called %d times, want %d (calls %v)", method, tg.count(method), n, tg.calls)
		}
	}
	if want["switch"] == 1 && tg.release != "v1" || want["restore-config"] == 1 && tg.config != "cfg-1" ||
		want["migrate-down"] == 1 && tg.schema != "0001" {
		t.Errorf("state not put back: release %s config %s schema %s", tg.release, tg.config, tg.schema)
	}
}

func writeRecords(t *testing.T, dir string, recs []Record) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := appendRecord(dir, r); err != nil {
			t.Fatal(err)
		}
	}
}

// TestJournalFiles: records are 0600 files in a 0700 directory, named
// NNNNNNNN-kind.json; a gap in the sequence is refused.
func TestJournalFiles(t *testing.T) {
	tg := newFake()
	m, _ := testManager(t, tg)
	tx := begin(t, m, tg)
	info, err := os.Stat(tx.Dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("tx dir: %v %v", info.Mode(), err)
	}
	for i, k := range []string{KindBegin, KindSnapshot, KindArmed} {
		p := filepath.Join(tx.Dir, fileName(i+1, k))
		info, err := os.Stat(p)
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", p, info, err)
		}
	}
	if err := os.Remove(filepath.Join(tx.Dir, fileName(2, KindSnapshot))); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Journal.Get(tx.ID()); err == nil {
		t.Fatal("a journal with a gap was read")
	}
}
