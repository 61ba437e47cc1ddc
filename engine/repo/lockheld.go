package repo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/velinhq/velin/engine/storage"
)

// refreshLoop rewrites the lock every lockTimes.refresh, each attempt
// bounded by lockTimes.timeout. When no attempt has succeeded for
// lockTimes.lose (well before the lease, when others would remove the
// lock), or the lock object is gone (another process removed it as stale),
// the lock is lost: Lost is closed and guarded operations stop.
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
			if since := l.sinceOK(); since >= lt.lose {
				l.markLost(fmt.Sprintf("not refreshed for %s", since.Round(time.Second)))
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), lt.timeout)
			err := l.refresh(ctx)
			cancel()
			if errors.Is(err, ErrLockLost) {
				l.markLost("its lock object was removed by another process")
				return
			}
			if err != nil {
				l.r.opts.Warn(fmt.Sprintf("refresh lock: %v", err))
			}
		}
	}
}

// sinceOK is the time since the lock was last written, by the monotonic
// clock or the wall clock, whichever says longer (the monotonic clock
// stands still while a machine sleeps).
func (l *Lock) sinceOK() time.Duration {
	l.mu.Lock()
	last := l.lastOK
	l.mu.Unlock()
	return max(time.Since(last), time.Now().Round(0).Sub(last.Round(0)))
}

// markLost gives the lock up: guarded work stops and the repository
// refuses to commit, forget or prune from then on.
func (l *Lock) markLost(why string) {
	l.lostOnce.Do(func() {
		l.r.opts.Warn(fmt.Sprintf("%v: %s; stopping", ErrLockLost, why))
		l.r.lockLost.Store(true)
		close(l.lost)
	})
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
// never rewritten in place). It fails with ErrLockLost when the old one
// is gone: another process took it for stale and may have acted on that.
func (l *Lock) refresh(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.r.st.Stat(ctx, l.name); errors.Is(err, storage.ErrNotFound) {
		return ErrLockLost
	} else if err != nil {
		return fmt.Errorf("check lock: %w", err)
	}
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
	l.r.holdLock(l, false)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.r.st.Delete(ctx, l.name); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("unlock: %w", err)
	}
	return nil
}

// holdLock adds a lock to (or removes it from) those lockOK checks.
func (r *Repository) holdLock(l *Lock, held bool) {
	r.heldMu.Lock()
	defer r.heldMu.Unlock()
	if r.held == nil {
		r.held = map[*Lock]bool{}
	}
	if held {
		r.held[l] = true
	} else {
		delete(r.held, l)
	}
}

// lockOK fails with ErrLockLost once a lock this repository held was lost,
// or a held one was not refreshed for lockTimes.lose (the process was
// stopped, or the machine slept, since the last refresh): committing a
// snapshot, forgetting or pruning then stops, because another process may
// already have taken the repository for unlocked.
func (r *Repository) lockOK() error {
	r.heldMu.Lock()
	for l := range r.held {
		if since := l.sinceOK(); since >= r.lockTimes.lose {
			l.markLost(fmt.Sprintf("not refreshed for %s", since.Round(time.Second)))
		}
	}
	r.heldMu.Unlock()
	if r.lockLost.Load() {
		return ErrLockLost
	}
	return nil
}
