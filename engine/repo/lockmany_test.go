package repo

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/repotest"
)

// putForeignLock writes a lock object as another process would.
func putForeignLock(t *testing.T, st *repotest.Mem, name string, info lockInfo) {
	t.Helper()
	data, _ := json.Marshal(info)
	if err := putBytes(context.Background(), st, "locks/"+name, data, true); err != nil {
		t.Fatal(err)
	}
}

// TestLockOfAnotherPIDSpaceLivesUntilItsLease: a lock with our host name
// and machine id but another pid space (a container or a cloned machine)
// is not judged by its pid, which means nothing here; it is stale only
// once its own lease has lapsed by the storage's clock. In our own pid
// space a dead pid makes it stale at once.
func TestLockOfAnotherPIDSpaceLivesUntilItsLease(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	r.pidSpace = "boot-a/pid:[1]"
	now := time.Now().UTC()
	dead := lockInfo{Host: "testhost", PID: 1 << 30, Exclusive: true, Lease: "10s", Created: now, Refreshed: now}
	dead.PIDSpace = "boot-b/pid:[1]"
	putForeignLock(t, st, "clone", dead)
	if _, err := r.Lock(ctx, false); !errors.Is(err, ErrLocked) {
		t.Fatalf("the live lock of another pid space was removed by its pid: %v", err)
	}
	st.Age("locks/clone", 11*time.Second)
	l, err := r.Lock(ctx, false)
	if err != nil {
		t.Fatalf("a lock past its lease still blocks: %v", err)
	}
	_ = l.Unlock(ctx)
	dead.PIDSpace = r.pidSpace
	putForeignLock(t, st, "same", dead)
	l, err = r.Lock(ctx, false)
	if err != nil {
		t.Fatalf("a dead process's lock in our pid space still blocks: %v", err)
	}
	_ = l.Unlock(ctx)
}

// TestLockLeaseIsTheHolders: only a lock's own lease makes it stale, so a
// host with a short lease never removes the live lock of a host with the
// default one, and a short-lease lock goes once its lease lapses.
func TestLockLeaseIsTheHolders(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.LockLease = 2 * time.Second
	r, st := newTestRepoWith(t, o)
	if r.lockTimes.refresh != o.LockLease/6 || r.lockTimes.lose != o.LockLease*2/3 {
		t.Fatalf("timings %+v for a lease of %s", r.lockTimes, o.LockLease)
	}
	now := time.Now().UTC()
	putForeignLock(t, st, "long", lockInfo{Host: "b", PID: 1, Exclusive: true, Created: now, Refreshed: now})
	st.Age("locks/long", time.Minute)
	if _, err := r.Lock(ctx, false); !errors.Is(err, ErrLocked) {
		t.Fatalf("a lock with the default lease, a minute old, was taken for stale: %v", err)
	}
	st.Age("locks/long", 30*time.Minute)
	l, err := r.Lock(ctx, true)
	if err != nil {
		t.Fatalf("a lock past the default lease still blocks: %v", err)
	}
	// Ours records its lease, so others judge it by that.
	info, err := r.readLock(ctx, l.name)
	if err != nil || info.Lease != "2s" || info.PIDSpace != r.pidSpace {
		t.Fatalf("our lock records lease %q, pid space %q (%v)", info.Lease, info.PIDSpace, err)
	}
	_ = l.Unlock(ctx)
}

// TestExclusiveWaiterIsNotStarved: a prune waiting for a running backup
// keeps its lock object, so a backup that starts meanwhile waits for the
// prune instead of slipping in before it, and the prune gets the lock once
// the running backup ends.
func TestExclusiveWaiterIsNotStarved(t *testing.T) {
	ctx := context.Background()
	backup1, st := newTestRepo(t)
	o := testOptions()
	o.LockTimeout = 20 * time.Second
	pruner := openTestRepoWith(t, st, o)
	backup2 := openTestRepoWith(t, st, testOptions()) // fails at once when locked
	running, err := backup1.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		l, err := pruner.Lock(ctx, true)
		if err == nil {
			err = l.Unlock(ctx)
		}
		got <- err
	}()
	waitFor(t, "the prune's claim", func() bool { return countLocks(t, backup1, true) == 1 })
	if l, err := backup2.Lock(ctx, false); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "exclusive") {
		if l != nil {
			_ = l.Unlock(ctx)
		}
		t.Fatalf("a new backup went ahead of a waiting prune: %v", err)
	}
	_ = running.Unlock(ctx)
	if err := <-got; err != nil {
		t.Fatalf("the waiting prune: %v", err)
	}
}

// TestNoClaimBehindADeadHost: behind a shared lock that missed its
// refreshes (a killed host's), a waiting prune keeps no claim, so the
// other hosts' backups are not held up for its whole lock timeout.
func TestNoClaimBehindADeadHost(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	now := time.Now().UTC()
	putForeignLock(t, st, "dead", lockInfo{Host: "killed", PID: 1, Lease: "60s", Created: now, Refreshed: now})
	st.Age("locks/dead", 30*time.Second) // two refreshes (every 10 s) missed
	o := testOptions()
	o.LockTimeout = 3 * time.Second
	pruner := openTestRepoWith(t, st, o)
	got := make(chan error, 1)
	go func() { _, err := pruner.Lock(ctx, true); got <- err }()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		l, err := r.Lock(ctx, false)
		if err != nil {
			t.Fatalf("a backup was blocked by a prune waiting behind a dead host: %v", err)
		}
		_ = l.Unlock(ctx)
		time.Sleep(50 * time.Millisecond)
	}
	if err := <-got; !errors.Is(err, ErrLocked) {
		t.Fatalf("the prune behind a live lease: %v", err)
	}
}

// TestLockLostWhenRemovedOrPaused: a held lock whose object another
// process removed (as stale) is lost at the next refresh, and one not
// refreshed for two thirds of its lease (a stopped process) refuses to
// commit at once, before any refresh notices.
func TestLockLostWhenRemovedOrPaused(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	r.lockTimes = lockTimes{refresh: 20 * time.Millisecond, timeout: time.Second, lose: time.Hour}
	l, err := r.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	name := l.name
	l.mu.Unlock()
	if err := st.Delete(ctx, name); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("a lock removed by another process was not lost")
	}
	if _, err := tryBackup(r, crashItems(1, 1)); !errors.Is(err, ErrLockLost) {
		t.Fatalf("commit on a removed lock: %v", err)
	}
	_ = l.Unlock(ctx)

	r2 := openTestRepo(t, st)
	r2.lockTimes = lockTimes{refresh: time.Hour, timeout: time.Second, lose: time.Minute}
	l2, err := r2.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Unlock(ctx)
	if err := r2.lockOK(); err != nil {
		t.Fatalf("a fresh lock: %v", err)
	}
	l2.mu.Lock()
	l2.lastOK = l2.lastOK.Add(-2 * time.Minute) // as if the process was stopped
	l2.mu.Unlock()
	if _, err := tryBackup(r2, crashItems(1, 1)); !errors.Is(err, ErrLockLost) {
		t.Fatalf("commit after a pause past the lock's loss: %v", err)
	}
}

// countLocks counts the lock objects, the exclusive ones when exclusive.
func countLocks(t *testing.T, r *Repository, exclusive bool) int {
	t.Helper()
	locks, err := r.Locks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range locks {
		if l.Exclusive == exclusive {
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds, failing after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never came", what)
		}
	}
}
