// Package txn runs deployment transactions: `velin rollback begin … commit`.
//
// A transaction lives in a journal local to the host that runs it,
// $VELIN_STATE_DIR/journal/<txid>/, one file per record, each written with
// temp + fsync + rename and an fsync of the directory (docs/design.md,
// "Transaction journal"). A record is never modified; the state of a
// transaction is its last record. Records hold no secrets: releases,
// snapshot ids, schema versions, paths and times only.
//
// One transaction may be open per deployment. Begin, commit, rollback and
// recovery serialise on a lock file per deployment (flock), and the
// decision to begin is taken while holding it, so two racing begins cannot
// both win. The watchdog, a detached process, holds a second lock in the
// transaction's directory for as long as it lives: recovery learns that the
// watchdog is gone when that lock is free, never from kill(pid, 0) (a dead
// watchdog may linger as a zombie).
//
// The deployment itself is reached through Target (see target.go): the
// engine/deploy package provides it; tests use a fake one.
package txn
