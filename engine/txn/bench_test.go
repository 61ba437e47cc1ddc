package txn

import (
	"context"
	"testing"
)

// BenchmarkRecoverNothingOpen is what every velin command pays before it
// runs on a host whose journal holds only ended transactions.
func BenchmarkRecoverNothingOpen(b *testing.B) {
	tg := newFake()
	m, _ := testManager(b, tg)
	for range 20 {
		if _, err := m.Begin(context.Background(), BeginOptions{Deployment: "api", Timeout: 1e9, Target: tg, Arm: noWatchdog}); err != nil {
			b.Fatal(err)
		}
		if _, err := m.Commit(context.Background(), "api", tg); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		outs, err := m.Recover(context.Background())
		if err != nil || len(outs) != 0 {
			b.Fatal(err, outs)
		}
	}
}

// BenchmarkRecoverNoJournal: the same on a host without a journal.
func BenchmarkRecoverNoJournal(b *testing.B) {
	m, _ := testManager(b, newFake())
	m.Journal.Dir += "-absent"
	for b.Loop() {
		if _, err := m.Recover(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
