package txn

import (
	"context"
	"errors"
	"testing"
)

// TestReleasableHold: the hold of an open transaction is never released
// by hand; once the transaction committed it is. A hold of another host,
// of an owner that is not a transaction, or of a transaction unknown here
// needs force.
func TestReleasableHold(t *testing.T) {
	tg := newFake()
	m, _ := testManager(t, tg)
	tx := begin(t, m, tg)
	owner := HoldOwner(tx.ID())
	if err := m.ReleasableHold(owner, m.Host, true); !errors.Is(err, ErrRefused) {
		t.Fatalf("the hold of an open transaction, forced: %v", err)
	}
	if _, err := m.Commit(context.Background(), "api", tg); err != nil {
		t.Fatal(err)
	}
	if err := m.ReleasableHold(owner, m.Host, false); err != nil {
		t.Fatalf("the hold of a committed transaction: %v", err)
	}
	for _, c := range []struct{ owner, host string }{
		{owner, "another-host"},
		{"backup script", m.Host},
		{HoldOwner("20261202T100000Z-00000000"), m.Host},
	} {
		if err := m.ReleasableHold(c.owner, c.host, false); !errors.Is(err, ErrRefused) {
			t.Errorf("%q on %s: %v, want refused", c.owner, c.host, err)
		}
		if err := m.ReleasableHold(c.owner, c.host, true); err != nil {
			t.Errorf("%q on %s, forced: %v", c.owner, c.host, err)
		}
	}
}
