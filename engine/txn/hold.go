package txn

import (
	"fmt"
	"strings"
)

const holdOwnerPrefix = "transaction "

// HoldOwner is the owner recorded on the hold transaction txID puts on its
// database snapshot (transaction.backup) in every target that has it.
func HoldOwner(txID string) string { return holdOwnerPrefix + txID }

// ReleasableHold says whether a hold on a database snapshot may be
// released by hand (`velin rollback release-hold`): nil when its owner is
// a transaction of this journal that ended (committed or rolled back; the
// automatic release at its end failed, as when a repository could not be
// reached). It is an ErrRefused error when that transaction has not ended
// (its rollback may still need the snapshot), and, unless force, when the
// owner is not a transaction, the hold was put by another host (host, as
// recorded on the hold, differs from m.Host), or the transaction is not in
// this journal.
func (m *Manager) ReleasableHold(owner, host string, force bool) error {
	txID, ok := strings.CutPrefix(owner, holdOwnerPrefix)
	if !ok {
		return m.unlessForced(force, "the hold's owner %q is not a transaction", owner)
	}
	if host != "" && m.Host != "" && host != m.Host {
		return m.unlessForced(force, "the hold of transaction %s was put by host %s: release it there", txID, host)
	}
	t, err := m.Journal.Get(txID)
	if err != nil {
		return m.unlessForced(force, "transaction %s is not in this host's journal (%v)", txID, err)
	}
	if !t.Ended() {
		return fmt.Errorf("release hold: %w: transaction %s of deployment %s is %s; its rollback may need the snapshot (commit or roll it back first)",
			ErrRefused, txID, t.Begin().Deployment, t.State())
	}
	return nil
}

func (m *Manager) unlessForced(force bool, format string, args ...any) error {
	if force {
		return nil
	}
	return fmt.Errorf("release hold: %w: %s; --force releases it anyway", ErrRefused, fmt.Sprintf(format, args...))
}
