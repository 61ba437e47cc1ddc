package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/velinhq/velin/engine/storage"
)

const (
	// DefaultLockLease is how long a lock stays live without a refresh
	// (Options.LockLease); its holder refreshes it every sixth of that.
	DefaultLockLease = 30 * time.Minute
	// MinLockLease is the shortest lease Options.LockLease may set.
	MinLockLease = time.Second
	lockStale    = DefaultLockLease // the lease of a lock that records none
	lockPollMin  = 200 * time.Millisecond
	lockPollMax  = 10 * time.Second // a waiting Lock polls at most this far apart
)

// lockTimes are the lock's timings (shorter in tests).
type lockTimes struct {
	lease                  time.Duration // recorded in our locks ("" when 0: the default)
	refresh, timeout, lose time.Duration
}

// lockTimesFor derives a holder's timings from its lease: a refresh every
// sixth of it, each attempt bounded by a minute (or that sixth), and the
// lock given up after two thirds of it without a successful refresh.
func lockTimesFor(lease time.Duration) lockTimes {
	lease = max(orDefault(lease, DefaultLockLease), MinLockLease)
	return lockTimes{lease: lease, refresh: lease / 6, timeout: min(time.Minute, lease/6), lose: lease * 2 / 3}
}

// errMalformedLock is a lock object that is not a lock's JSON.
var errMalformedLock = errors.New("not a valid lock object")

// lockInfo is the JSON of locks/<id>.
type lockInfo struct {
	Host      string `json:"host"`
	MachineID string `json:"machine_id,omitempty"`
	PIDSpace  string `json:"pid_space,omitempty"` // boot id and pid namespace (lockhost.go)
	PID       int    `json:"pid"`
	Start     string `json:"start"` // /proc/<pid>/stat field 22 ("" off Linux)
	Exclusive bool   `json:"exclusive"`
	// Lease: stale when not refreshed for this long (a Go duration; ""
	// before velin had leases: lockStale).
	Lease     string    `json:"lease,omitempty"`
	Created   time.Time `json:"created"`
	Refreshed time.Time `json:"refreshed"`
}

// Lock is a held repository lock.
type Lock struct {
	r        *Repository
	stop     chan struct{}
	done     chan struct{}
	lost     chan struct{} // closed when refreshing failed for too long
	lostOnce sync.Once

	mu     sync.Mutex
	name   string
	info   lockInfo
	lastOK time.Time // last successful write of the lock (monotonic and wall)
}

// ErrLockLost means a held lock could not be refreshed for so long that
// other processes may soon take it for stale, or was removed by another
// process: the operation under it stops.
var ErrLockLost = errors.New("repository lock lost: it could not be refreshed")

// tryLock writes our lock object (or reuses the claim kept while waiting),
// then looks for conflicting ones. On a conflict it removes ours again,
// unless mayClaim and the conflict lets an exclusive waiter keep it: then
// the object is returned, to be passed back on the next attempt.
func (r *Repository) tryLock(ctx context.Context, exclusive bool, claim *lockObj, mayClaim bool) (*Lock, *lockObj, error) {
	fresh := r.takeFresh()
	own, err := r.writeLockObj(ctx, exclusive, claim)
	if err != nil {
		r.dropClaim(ctx, claim)
		return nil, nil, err
	}
	check := func() error {
		c, err := r.checkLocks(ctx, own, exclusive)
		if err != nil {
			return err
		}
		if c.err != nil && (!exclusive || !mayClaim || c.yield) {
			_ = r.st.Delete(context.WithoutCancel(ctx), own.name)
			own = nil
		}
		return c.err
	}
	if err := check(); err != nil {
		return nil, own, err
	}
	// Write, then confirm: on a storage whose listings may lag, a lock
	// written by another process just before ours may not be listed yet.
	// Once the lag has passed, both are listed to both, so two racing
	// lockers cannot both go ahead (at worst both back off and retry).
	if lag := r.opts.ListLag; lag > 0 {
		select {
		case <-time.After(lag):
		case <-ctx.Done():
			r.dropClaim(ctx, own)
			return nil, nil, ctx.Err()
		}
		if err := check(); err != nil {
			return nil, own, err
		}
	}
	// Whatever changed while we did not hold a lock (a prune) is seen now,
	// before anything is written or deduplicated under this lock: the
	// index, and snapshots listed from now on. Not on the first try after
	// this Repository created the repository, moments ago: its index is
	// empty, so nothing in it can have been pruned, and what another
	// process added since would only be missed for deduplication and as a
	// parent (a new snapshot's id never rests on the listing alone).
	if !fresh {
		r.forgetRecentSnapshots()
		if err := r.refreshIndex(ctx); err != nil {
			r.dropClaim(ctx, own)
			return nil, nil, err
		}
	}
	l := &Lock{r: r, info: own.info, name: own.name, stop: make(chan struct{}), done: make(chan struct{}),
		lost: make(chan struct{}), lastOK: own.at}
	r.holdLock(l, true)
	go l.refreshLoop()
	return l, nil, nil
}

func (r *Repository) putLock(ctx context.Context, name string, info lockInfo) error {
	data, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("write lock: %w", err)
	}
	if err := putBytes(ctx, r.st, name, data, true); err != nil {
		return fmt.Errorf("write lock: %w", err)
	}
	return nil
}

// checkLocks looks for locks that conflict with ours, removing stale ones
// on the way. An error is a failure to look; conflicts are in conflict.
func (r *Repository) checkLocks(ctx context.Context, own *lockObj, exclusive bool) (conflict, error) {
	var infos []storage.ObjectInfo
	err := r.st.List(ctx, "locks/", func(oi storage.ObjectInfo) error {
		infos = append(infos, oi)
		return nil
	})
	if err != nil {
		return conflict{}, fmt.Errorf("list locks: %w", err)
	}
	now := r.storageNow(ctx, own.name, infos)
	var c conflict
	for _, oi := range infos {
		if oi.Name == own.name {
			continue
		}
		if err := r.checkLock(ctx, oi, now, own, exclusive, &c); err != nil {
			return conflict{}, err
		}
	}
	return c, nil
}

// checkLock looks at one foreign lock and notes it in c when it conflicts;
// a stale one is removed, a malformed one ignored.
func (r *Repository) checkLock(ctx context.Context, oi storage.ObjectInfo, now time.Time, own *lockObj, exclusive bool, c *conflict) error {
	name := oi.Name
	info, err := r.readLock(ctx, name)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // released meanwhile
	}
	if errors.Is(err, errMalformedLock) {
		// Lock objects are written whole (temp + rename), so this one
		// was damaged or written by something else: it protects nothing.
		r.opts.Warn(fmt.Sprintf("ignoring malformed lock %s: %v", shortName(name), err))
		return nil
	}
	if err != nil {
		return err
	}
	if why := r.stale(info, oi.ModTime, now); why != "" {
		r.opts.Warn(fmt.Sprintf("removing stale lock %s of %s pid %d from %s: %s",
			shortName(name), info.Host, info.PID, info.Created.Format(time.RFC3339), why))
		if err := r.st.Delete(ctx, name); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("remove stale lock: %w", err)
		}
		return nil
	}
	if !exclusive && !info.Exclusive {
		return nil
	}
	kind, yield := "shared", !exclusive
	if info.Exclusive {
		kind, yield = "exclusive", yield || precedes(info, name, own.info, own.name)
	} else if !r.sameProcessSpace(info) && r.lockAge(info, oi.ModTime, now) > info.lease()/3 {
		yield = true // it missed two refreshes: its host may be dead
	}
	c.note(fmt.Errorf("%w: %s lock held by %s pid %d since %s", ErrLocked, kind, info.Host, info.PID,
		info.Created.Format(time.RFC3339)), yield)
	return nil
}

// storageNow is the storage's current time: the modification time of the
// lock object we just wrote (from the listing, else a Stat), so that a
// foreign lock's age is measured on one clock, not against a local clock
// that may be skewed. Zero when the storage does not tell.
func (r *Repository) storageNow(ctx context.Context, own string, infos []storage.ObjectInfo) time.Time {
	for _, oi := range infos {
		if oi.Name == own {
			return oi.ModTime
		}
	}
	if oi, err := r.st.Stat(ctx, own); err == nil {
		return oi.ModTime
	}
	return time.Time{}
}

func (r *Repository) readLock(ctx context.Context, name string) (lockInfo, error) {
	var info lockInfo
	data, err := getBytes(ctx, r.st, name)
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(data, &info); err != nil || info.Created.IsZero() {
		return info, fmt.Errorf("read lock %s: %w", shortName(name), errMalformedLock)
	}
	return info, nil
}

// shortName is a lock's id cut to 12 characters for messages.
func shortName(name string) string {
	s := strings.TrimPrefix(name, "locks/")
	return s[:min(12, len(s))]
}
