package repo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"
)

// lockObj is one lock object of ours in the storage.
type lockObj struct {
	name string
	info lockInfo
	at   time.Time // when it was written (monotonic)
}

// Lock takes a shared (backups, restores, verification) or exclusive
// (prune, forget, key removal) lock. When a live lock conflicts, Lock waits
// for it to go, polling with a growing pause, for up to Options.LockTimeout
// (telling Options.Warn once that it waits); after that, or at once when
// the timeout is zero, it fails with ErrLocked naming the holder. Stale
// locks are removed with a warning. The lock is refreshed in the background
// until Unlock.
//
// An exclusive locker that waits only for live shared locks (or younger
// exclusive waiters) keeps its lock object meanwhile, for up to half its
// timeout: new shared lockers see it and wait, so a steady stream of
// backups cannot starve a prune (docs/design.md, "Many hosts").
func (r *Repository) Lock(ctx context.Context, exclusive bool) (*Lock, error) {
	start := time.Now()
	deadline, claimUntil := start.Add(r.opts.LockTimeout), start.Add(r.opts.LockTimeout/2)
	pause := lockPollMin
	var claim *lockObj // our exclusive lock object, kept while we wait
	for waited := false; ; waited = true {
		l, kept, err := r.tryLock(ctx, exclusive, claim, time.Now().Before(claimUntil))
		claim = kept
		if err == nil || !errors.Is(err, ErrLocked) || !time.Now().Add(pause).Before(deadline) {
			r.dropClaim(ctx, claim)
			return l, err
		}
		if !waited {
			r.opts.Warn(fmt.Sprintf("%v; waiting up to %s for it (--lock-timeout)", err, r.opts.LockTimeout.Round(time.Second)))
		}
		select {
		case <-ctx.Done():
			r.dropClaim(ctx, claim)
			return nil, ctx.Err()
		case <-time.After(pause + rand.N(pause/2+1)): // jitter: racing lockers do not retry in step
		}
		pause = min(2*pause, lockPollMax)
	}
}

// dropClaim deletes the lock object a waiting exclusive locker kept.
func (r *Repository) dropClaim(ctx context.Context, claim *lockObj) {
	if claim != nil {
		_ = r.st.Delete(context.WithoutCancel(ctx), claim.name)
	}
}

// writeLockObj writes our lock object: a new one, or, for a claim kept
// while waiting, a refreshed copy once it is due (same created time, so
// the claim keeps its place among exclusive waiters).
func (r *Repository) writeLockObj(ctx context.Context, exclusive bool, claim *lockObj) (*lockObj, error) {
	now := r.opts.Clock().UTC()
	if claim != nil {
		if time.Since(claim.at) < r.lockTimes.refresh {
			return claim, nil
		}
		o := &lockObj{name: "locks/" + randomName(), info: claim.info, at: time.Now()}
		o.info.Refreshed = now
		if err := r.putLock(ctx, o.name, o.info); err != nil {
			return nil, err
		}
		_ = r.st.Delete(ctx, claim.name)
		return o, nil
	}
	info := lockInfo{Host: r.opts.Host, MachineID: r.opts.MachineID, PIDSpace: r.pidSpace,
		PID: os.Getpid(), Start: processStart(os.Getpid()), Exclusive: exclusive, Created: now, Refreshed: now}
	if r.lockTimes.lease > 0 {
		info.Lease = r.lockTimes.lease.String()
	}
	o := &lockObj{name: "locks/" + randomName(), info: info, at: time.Now()}
	if err := r.putLock(ctx, o.name, o.info); err != nil {
		return nil, err
	}
	return o, nil
}

// conflict is what checkLocks found in the way.
type conflict struct {
	err error // the first conflicting lock, as ErrLocked
	// yield: some conflicting lock may not be waited for with a claim
	// kept (we are shared, it is an exclusive lock older than ours, or a
	// shared lock that missed its refreshes: a dead host's, probably).
	yield bool
}

// note records a conflicting lock.
func (c *conflict) note(err error, yield bool) {
	if c.err == nil {
		c.err = err
	}
	c.yield = c.yield || yield
}

// precedes orders exclusive waiters: the older lock (by created time,
// then name) keeps its claim, the younger yields.
func precedes(a lockInfo, aName string, b lockInfo, bName string) bool {
	if !a.Created.Equal(b.Created) {
		return a.Created.Before(b.Created)
	}
	return aName < bName
}
