package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/velinhq/velin/engine/storage"
)

const (
	lockRefresh = 5 * time.Minute  // a held lock is rewritten this often
	lockStale   = 30 * time.Minute // an unrefreshed foreign lock is stale after this
	lockLose    = 20 * time.Minute // a lock not refreshed for this long is given up (< lockStale)
	lockPollMin = 200 * time.Millisecond
	lockPollMax = 10 * time.Second // a waiting Lock polls at most this far apart
)

// lockTimes are the lock's timings (shorter in tests).
type lockTimes struct {
	refresh, timeout, lose time.Duration
}

func defaultLockTimes() lockTimes {
	return lockTimes{refresh: lockRefresh, timeout: time.Minute, lose: lockLose}
}

// errMalformedLock is a lock object that is not a lock's JSON.
var errMalformedLock = errors.New("not a valid lock object")

// lockInfo is the JSON of locks/<id>.
type lockInfo struct {
	Host      string    `json:"host"`
	MachineID string    `json:"machine_id,omitempty"`
	PID       int       `json:"pid"`
	Start     string    `json:"start"` // /proc/<pid>/stat field 22 ("" off Linux)
	Exclusive bool      `json:"exclusive"`
	Created   time.Time `json:"created"`
	Refreshed time.Time `json:"refreshed"`
}

// Lock is a held repository lock.
type Lock struct {
	r    *Repository
	info lockInfo
	stop chan struct{}
	done chan struct{}
	lost chan struct{} // closed when refreshing failed for too long

	mu     sync.Mutex
	name   string
	lastOK time.Time // last successful write of the lock (monotonic)
}

// ErrLockLost means a held lock could not be refreshed for so long that
// other processes may soon take it for stale: the operation under it stops.
var ErrLockLost = errors.New("repository lock lost: it could not be refreshed")

// Lock takes a shared (backups, restores, verification) or exclusive
// (prune, forget, key removal) lock. When a live lock conflicts, Lock waits
// for it to go, polling with a growing pause, for up to Options.LockTimeout
// (telling Options.Warn once that it waits); after that, or at once when
// the timeout is zero, it fails with ErrLocked naming the holder. Stale
// locks are removed with a warning. The lock is refreshed in the background
// until Unlock.
func (r *Repository) Lock(ctx context.Context, exclusive bool) (*Lock, error) {
	deadline := time.Now().Add(r.opts.LockTimeout)
	pause := lockPollMin
	for waited := false; ; waited = true {
		l, err := r.tryLock(ctx, exclusive)
		if err == nil || !errors.Is(err, ErrLocked) || !time.Now().Add(pause).Before(deadline) {
			return l, err
		}
		if !waited {
			r.opts.Warn(fmt.Sprintf("%v; waiting up to %s for it (--lock-timeout)", err, r.opts.LockTimeout.Round(time.Second)))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause + rand.N(pause/2+1)): // jitter: racing lockers do not retry in step
		}
		pause = min(2*pause, lockPollMax)
	}
}

// tryLock writes our lock object, then looks for conflicting ones; on a
// conflict it removes ours again.
func (r *Repository) tryLock(ctx context.Context, exclusive bool) (*Lock, error) {
	now := r.opts.Clock().UTC()
	info := lockInfo{Host: r.opts.Host, MachineID: r.opts.MachineID, PID: os.Getpid(), Start: processStart(os.Getpid()),
		Exclusive: exclusive, Created: now, Refreshed: now}
	name := "locks/" + randomName()
	if err := r.putLock(ctx, name, info); err != nil {
		return nil, err
	}
	if err := r.checkLocks(ctx, name, exclusive); err != nil {
		_ = r.st.Delete(context.WithoutCancel(ctx), name)
		return nil, err
	}
	// Write, then confirm: on a storage whose listings may lag, a lock
	// written by another process just before ours may not be listed yet.
	// Once the lag has passed, both are listed to both, so two racing
	// lockers cannot both go ahead (at worst both back off and retry).
	if lag := r.opts.ListLag; lag > 0 {
		select {
		case <-time.After(lag):
		case <-ctx.Done():
			_ = r.st.Delete(context.WithoutCancel(ctx), name)
			return nil, ctx.Err()
		}
		if err := r.checkLocks(ctx, name, exclusive); err != nil {
			_ = r.st.Delete(context.WithoutCancel(ctx), name)
			return nil, err
		}
	}
	// Whatever changed while we did not hold a lock (a prune) is seen now,
	// before anything is written or deduplicated under this lock: the
	// index, and snapshots listed from now on.
	r.forgetRecentSnapshots()
	if err := r.refreshIndex(ctx); err != nil {
		_ = r.st.Delete(context.WithoutCancel(ctx), name)
		return nil, err
	}
	l := &Lock{r: r, info: info, name: name, stop: make(chan struct{}), done: make(chan struct{}),
		lost: make(chan struct{}), lastOK: time.Now()}
	go l.refreshLoop()
	return l, nil
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

// checkLocks looks for locks that conflict with ours (named own).
func (r *Repository) checkLocks(ctx context.Context, own string, exclusive bool) error {
	var infos []storage.ObjectInfo
	err := r.st.List(ctx, "locks/", func(oi storage.ObjectInfo) error {
		infos = append(infos, oi)
		return nil
	})
	if err != nil {
		return fmt.Errorf("list locks: %w", err)
	}
	now := r.storageNow(ctx, own, infos)
	for _, oi := range infos {
		if oi.Name == own {
			continue
		}
		if err := r.checkLock(ctx, oi, now, exclusive); err != nil {
			return err
		}
	}
	return nil
}

// checkLock looks at one foreign lock: ErrLocked when it conflicts, nil
// when it does not or was stale (and is removed) or malformed.
func (r *Repository) checkLock(ctx context.Context, oi storage.ObjectInfo, now time.Time, exclusive bool) error {
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
	if exclusive || info.Exclusive {
		kind := "shared"
		if info.Exclusive {
			kind = "exclusive"
		}
		return fmt.Errorf("%w: %s lock held by %s pid %d since %s", ErrLocked, kind, info.Host, info.PID,
			info.Created.Format(time.RFC3339))
	}
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

// stale says why a lock is stale, or "" when it is live. A lock of this
// machine is stale when its process is gone; another machine's when it
// was not refreshed for lockStale, by the storage's clock (written is the
// lock object's modification time, now the storage's present) or, where
// the storage gives no times, by comparing its refresh time with ours.
func (r *Repository) stale(info lockInfo, written, now time.Time) string {
	if r.sameMachine(info) {
		if !processAlive(info.PID) {
			return "process is gone"
		}
		if info.Start != "" && processStart(info.PID) != info.Start {
			return "process id reused by another process"
		}
		return ""
	}
	age := r.opts.Clock().Sub(info.Refreshed)
	if !written.IsZero() && !now.IsZero() {
		age = now.Sub(written)
	}
	if age > lockStale {
		return fmt.Sprintf("not refreshed for %s", age.Round(time.Minute))
	}
	return ""
}

// sameMachine reports whether a lock was taken on this machine, so that
// its process can be checked: by machine id when both have one (host
// names repeat across containers), else by host name.
func (r *Repository) sameMachine(info lockInfo) bool {
	if info.MachineID != "" && r.opts.MachineID != "" {
		return info.MachineID == r.opts.MachineID
	}
	return info.Host == r.opts.Host
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// processStart returns field 22 of /proc/<pid>/stat (start time in clock
// ticks since boot), or "" when unavailable.
func processStart(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')') // the command name may contain spaces
	if i < 0 {
		return ""
	}
	fields := strings.Fields(s[i+1:])
	// fields[0] is field 3 (state), so field 22 is fields[19].
	if len(fields) < 20 {
		return ""
	}
	return fields[19]
}

// refreshLoop rewrites the lock every lockTimes.refresh, each attempt
// bounded by lockTimes.timeout. When no attempt has succeeded for
// lockTimes.lose (well before lockStale, when others would remove the
// lock), the lock is lost: Lost is closed and guarded operations stop.
func (l *Lock) refreshLoop() {
	defer close(l.done)
	lt := l.r.lockTimes
	t := time.NewTicker(lt.refresh)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), lt.timeout)
			err := l.refresh(ctx)
			cancel()
			if err == nil {
				continue
			}
			l.r.opts.Warn(fmt.Sprintf("refresh lock: %v", err))
			l.mu.Lock()
			since := time.Since(l.lastOK)
			l.mu.Unlock()
			if since >= lt.lose {
				l.r.opts.Warn(fmt.Sprintf("%v for %s: stopping", ErrLockLost, since.Round(time.Second)))
				l.r.lockLost.Store(true)
				close(l.lost)
				return
			}
		}
	}
}

// Lost is closed when the lock could not be refreshed for too long.
func (l *Lock) Lost() <-chan struct{} { return l.lost }

// Guard returns a context that is cancelled, with cause ErrLockLost, when
// the lock is lost; run the work the lock protects under it.
func (l *Lock) Guard(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-l.lost:
			cancel(ErrLockLost)
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(context.Canceled) }
}

// refresh writes a new lock object and deletes the old one (objects are
// never rewritten in place).
func (l *Lock) refresh(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	info := l.info
	info.Refreshed = l.r.opts.Clock().UTC()
	name := "locks/" + randomName()
	if err := l.r.putLock(ctx, name, info); err != nil {
		return err
	}
	old := l.name
	l.name, l.info, l.lastOK = name, info, time.Now()
	if err := l.r.st.Delete(ctx, old); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("delete old lock: %w", err)
	}
	return nil
}

// Unlock releases the lock. Safe to call once.
func (l *Lock) Unlock(ctx context.Context) error {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.r.st.Delete(ctx, l.name); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("unlock: %w", err)
	}
	return nil
}

// shortName is a lock's id cut to 12 characters for messages.
func shortName(name string) string {
	s := strings.TrimPrefix(name, "locks/")
	return s[:min(12, len(s))]
}

// lockOK fails with ErrLockLost once a lock this repository held was lost:
// committing a snapshot, forgetting or pruning then stops, because another
// process may already have taken the repository for unlocked.
func (r *Repository) lockOK() error {
	if r.lockLost.Load() {
		return ErrLockLost
	}
	return nil
}
