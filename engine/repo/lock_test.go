package repo

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/engine/storage/faulty"
)

func TestLockConflictsAndStale(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	var warnings []string
	var mu sync.Mutex
	o := testOptions()
	o.Warn = func(m string) { mu.Lock(); warnings = append(warnings, m); mu.Unlock() }
	r2, err := Open(ctx, st, o)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()

	ex, err := r.Lock(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r2.Lock(ctx, false)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "testhost") {
		t.Fatalf("shared under exclusive: %v", err)
	}
	if n := len(st.Names("locks/")); n != 1 {
		t.Fatalf("failed locker left its lock: %d locks", n)
	}
	if err := ex.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	s1, err := r.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := r2.Lock(ctx, false)
	if err != nil {
		t.Fatalf("two shared locks: %v", err)
	}
	if _, err := r2.Lock(ctx, true); !errors.Is(err, ErrLocked) {
		t.Fatalf("exclusive under shared: %v", err)
	}
	_ = s1.Unlock(ctx)
	_ = s2.Unlock(ctx)

	// A lock left by a dead process of this host is stale.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run a child process:", err)
	}
	dead := lockInfo{Host: "testhost", PID: cmd.Process.Pid, Start: "1", Exclusive: true,
		Created: time.Now(), Refreshed: time.Now()}
	data, _ := json.Marshal(dead)
	if err := putBytes(ctx, st, "locks/dead", data, true); err != nil {
		t.Fatal(err)
	}
	l, err := r2.Lock(ctx, true)
	if err != nil {
		t.Fatalf("lock over a stale lock: %v", err)
	}
	defer l.Unlock(ctx)
	mu.Lock()
	defer mu.Unlock()
	if len(warnings) != 1 || !strings.Contains(warnings[0], "stale") {
		t.Errorf("warnings %q", warnings)
	}
	if names := st.Names("locks/dead"); len(names) != 0 {
		t.Error("stale lock not removed")
	}
}

func TestLockRefreshAndForeignStale(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	o := testOptions()
	o.Clock = func() time.Time { return now }
	st := repotest.NewMem()
	r, err := Init(ctx, st, o)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	old := lockInfo{Host: "elsewhere", PID: 1, Exclusive: true, Created: now.Add(-time.Hour), Refreshed: now.Add(-31 * time.Minute)}
	fresh := lockInfo{Host: "elsewhere", PID: 2, Exclusive: false, Created: now.Add(-time.Hour), Refreshed: now.Add(-time.Minute)}
	for name, li := range map[string]lockInfo{"locks/old": old, "locks/fresh": fresh} {
		data, _ := json.Marshal(li)
		_ = putBytes(ctx, st, name, data, true)
	}
	// Staleness is measured by the storage's clock: the objects' ages.
	st.Age("locks/old", 31*time.Minute)
	st.Age("locks/fresh", time.Minute)
	l, err := r.Lock(ctx, false)
	if err != nil {
		t.Fatalf("shared lock beside a fresh shared one: %v", err)
	}
	if len(st.Names("locks/old")) != 0 || len(st.Names("locks/fresh")) != 1 {
		t.Error("old foreign lock should be gone, fresh one kept")
	}
	before := l.name
	if err := l.refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if l.name == before || len(st.Names(before)) != 0 || len(st.Names("locks/")) != 2 {
		t.Errorf("refresh did not replace the lock object")
	}
	_ = l.Unlock(ctx)
	if _, err := r.Lock(ctx, true); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "elsewhere pid 2") {
		t.Errorf("exclusive beside fresh foreign lock: %v", err)
	}
}

func TestConcurrentBackups(t *testing.T) {
	ctx := context.Background()
	_, st := newTestRepo(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	mans := make([]*Manifest, 2)
	shared := crashItems(10, 10)
	for i := range shared {
		shared[i].e.Path = "other/" + shared[i].e.Path
	}
	sets := [][]item{crashItems(10, 20), append(crashItems(11, 10), shared...)}
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := openSmallPacks(t, st)
			l, err := r.Lock(ctx, false)
			if err != nil {
				errs[i] = err
				return
			}
			defer l.Unlock(ctx)
			mans[i], errs[i] = tryBackup(r, sets[i])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if mans[0].ID == mans[1].ID {
		t.Fatalf("same id %s", mans[0].ID)
	}
	checkAll(t, st, 2)
	for i := range 2 {
		checkItems(t, openTestRepo(t, st), mans[i], "files.x", sets[i])
	}
}

func TestLockWaitsForHolder(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	var warnings []string
	var mu sync.Mutex
	o := testOptions()
	o.LockTimeout = 30 * time.Second
	o.Warn = func(m string) { mu.Lock(); warnings = append(warnings, m); mu.Unlock() }
	r2, err := Open(ctx, st, o)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	ex, err := r.Lock(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() {
		time.Sleep(500 * time.Millisecond)
		close(released)
		_ = ex.Unlock(ctx)
	}()
	l, err := r2.Lock(ctx, false)
	if err != nil {
		t.Fatalf("waiting lock: %v", err)
	}
	defer l.Unlock(ctx)
	select {
	case <-released:
	default:
		t.Fatal("lock taken while the exclusive lock was held")
	}
	mu.Lock()
	if len(warnings) != 1 || !strings.Contains(warnings[0], "waiting up to 30s") {
		t.Errorf("warnings %q", warnings)
	}
	mu.Unlock()

	// With a short timeout the wait ends in ErrLocked.
	o.LockTimeout = 300 * time.Millisecond
	r3, err := Open(ctx, st, o)
	if err != nil {
		t.Fatal(err)
	}
	defer r3.Close()
	if _, err := r3.Lock(ctx, true); !errors.Is(err, ErrLocked) {
		t.Fatalf("exclusive beside a shared lock after timeout: %v", err)
	}
}

func TestMalformedLockIgnored(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	if err := putBytes(ctx, st, "locks/garbage", []byte("{not json"), true); err != nil {
		t.Fatal(err)
	}
	l, err := r.Lock(ctx, true)
	if err != nil {
		t.Fatalf("a malformed lock blocks the repository: %v", err)
	}
	_ = l.Unlock(ctx)
}

// TestLockLostStopsGuardedWork: when the lock cannot be refreshed for
// lockTimes.lose, Lost is closed and the guarded context is cancelled with
// ErrLockLost, before other processes could take the lock for stale.
func TestLockLostStopsGuardedWork(t *testing.T) {
	ctx := context.Background()
	fs := faulty.New(repotest.NewMem())
	r, err := Init(ctx, fs, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// lose 1 s: refreshes every 20 ms must keep the lock through a stall of
	// the test process on a loaded machine; the sleep below outlasts it.
	r.lockTimes = lockTimes{refresh: 20 * time.Millisecond, timeout: 500 * time.Millisecond, lose: time.Second}
	l, err := r.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	work, cancel := l.Guard(ctx)
	defer cancel()
	time.Sleep(1500 * time.Millisecond) // refreshes succeed meanwhile (past lose)
	select {
	case <-work.Done():
		t.Fatal("guarded work stopped while the lock was refreshed")
	default:
	}
	fs.FailWithPrefix(faulty.OpPut, "locks/")
	select {
	case <-work.Done():
		if !errors.Is(context.Cause(work), ErrLockLost) {
			t.Fatalf("cause %v", context.Cause(work))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("work went on with a lock that could not be refreshed")
	}
	_ = l.Unlock(ctx)
	// The repository refuses to commit, forget or prune from now on.
	if err := r.Forget(ctx, "x"); !errors.Is(err, ErrLockLost) {
		t.Fatalf("forget after a lost lock: %v", err)
	}
	if _, err := r.Prune(ctx, false); !errors.Is(err, ErrLockLost) {
		t.Fatalf("prune after a lost lock: %v", err)
	}
}

// TestForeignLockStaleByStorageClock: another machine's lock is judged by
// the storage's clock (the lock objects' modification times), not by the
// local clock, which may be skewed.
func TestForeignLockStaleByStorageClock(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	// The foreign lock says it was refreshed long ago by its own (skewed)
	// clock, but the storage wrote it just now: it is live.
	old := testOptions().Clock().Add(-2 * time.Hour) // stale by the local (test) clock
	data, _ := json.Marshal(lockInfo{Host: "other", PID: 1, Exclusive: true, Created: old, Refreshed: old})
	if err := putBytes(ctx, st, "locks/foreign", data, true); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Lock(ctx, false); !errors.Is(err, ErrLocked) {
		t.Fatalf("a freshly written foreign lock was taken for stale: %v", err)
	}
}

// TestLockConfirmsUnderListLag: with listings that hide writes for a
// while, two exclusive lockers that race must not both get the lock; with
// ListLag set, the second write-then-confirm sees the first.
func TestLockConfirmsUnderListLag(t *testing.T) {
	ctx := context.Background()
	fs := faulty.New(repotest.NewMem())
	o := testOptions()
	if _, err := Init(ctx, fs, o); err != nil {
		t.Fatal(err)
	}
	o.ListLag = 300 * time.Millisecond
	a, b := openTestRepoWith(t, fs, o), openTestRepoWith(t, fs, o)
	fs.ListLag(100)
	fs.ListLagFor(150 * time.Millisecond)
	var wg sync.WaitGroup
	var mu sync.Mutex
	held := 0
	for _, r := range []*Repository{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := r.Lock(ctx, true)
			if err != nil {
				if !errors.Is(err, ErrLocked) {
					t.Error(err)
				}
				return
			}
			mu.Lock()
			held++
			mu.Unlock()
			time.Sleep(500 * time.Millisecond) // hold it while the other confirms
			_ = l.Unlock(ctx)
		}()
	}
	wg.Wait()
	if held > 1 {
		t.Fatalf("%d exclusive locks held at once under a lagging listing", held)
	}
}
